package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/internal/extdef"
	"github.com/stixhub/stixhub/internal/stix"
)

func newValidateCmd() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Check STIX objects offline with the hub's own rules, before publishing them",
		Long: `validate reads STIX 2.1 objects from each FILE (or standard input): bundles,
single objects or JSON lines, and runs the checks the hub runs on publish,
without a hub. It prints one line per problem:

  <object id>: <json path>: <reason>

and exits 1 if any object is invalid, 0 if all are valid (2 on unreadable
input).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := readInputs(cmd, args)
			if err != nil {
				return err
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			// Types defined by the hub's extension-definitions, and by those
			// in the input, are known, as on the hub.
			types := extdef.NewTypes()
			for _, obj := range objs {
				types.Observe(obj)
			}
			bad := 0
			for i, obj := range objs {
				_, err := stix.ParseWithOptions(obj, types.ParseOptions())
				if err == nil {
					continue
				}
				bad++
				var ve *stix.ValidationError
				if !errors.As(err, &ve) {
					fmt.Fprintf(out, "object #%d: %v\n", i+1, err)
					continue
				}
				id := ve.ID
				if id == "" {
					id = fmt.Sprintf("object #%d", i+1)
				}
				for _, v := range ve.Violations {
					field := v.Field
					if field == "" {
						field = "(object)"
					}
					fmt.Fprintf(out, "%s: %s: %s\n", id, field, v.Description)
				}
			}
			out.Flush()
			if !quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d objects, %d valid, %d invalid\n", len(objs), len(objs)-bad, bad)
			}
			if bad > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no summary line")
	return cmd
}
