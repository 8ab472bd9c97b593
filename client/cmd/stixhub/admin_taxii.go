package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

const defaultTAXII = "127.0.0.1:7701"

// newMemberTaxiiUnsignedCmd lets the operator allow or refuse a member's
// unsigned posts over TAXII. It talks to the hub's TAXII listener, where
// the operator endpoint lives until the gRPC admin API carries the flag.
func newMemberTaxiiUnsignedCmd(c *conn) *cobra.Command {
	var member, taxiiAddr string
	var allow, deny bool
	cmd := &cobra.Command{
		Use:   "taxii-unsigned --member MEMBER-ID --allow|--deny",
		Short: "Allow or refuse a member's unsigned posts over TAXII (hub-attested objects)",
		Long: `taxii-unsigned sets whether a member may post objects over TAXII without a
member signature. TAXII clients cannot sign; the hub stores such objects
hub-attested (its receipt names the member, no member key or signature) after
the same validation as signed ones. Objects that carry the hub's signature
extension are verified as signed whatever this flag says, but only members
with the flag may post over TAXII at all (can_write).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if member == "" || allow == deny {
				return errors.New("--member and exactly one of --allow or --deny are required")
			}
			hc, token, err := c.operatorHTTP()
			if err != nil {
				return err
			}
			method := http.MethodPut
			if deny {
				method = http.MethodDelete
			}
			req, err := http.NewRequestWithContext(cmd.Context(), method, "https://"+taxiiAddr+"/admin/members/"+member+"/taxii-unsigned", nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := hc.Do(req)
			if err != nil {
				return fmt.Errorf("TAXII listener %s: %w", taxiiAddr, err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			if res.StatusCode != http.StatusOK {
				var e struct {
					Title       string `json:"title"`
					Description string `json:"description"`
				}
				_ = json.Unmarshal(body, &e)
				return fmt.Errorf("%s: %s: %s", res.Status, e.Title, e.Description)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s taxii-unsigned=%v\n", member, allow)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&member, "member", "", "member id")
	f.BoolVar(&allow, "allow", false, "allow unsigned posts")
	f.BoolVar(&deny, "deny", false, "refuse unsigned posts")
	f.StringVar(&taxiiAddr, "taxii", envOr("STIXHUB_TAXII", defaultTAXII), "hub TAXII address host:port (env STIXHUB_TAXII)")
	return cmd
}

// operatorHTTP returns an HTTPS client trusting the hub CA and the
// operator token, resolved like dial does.
func (c *conn) operatorHTTP() (*http.Client, string, error) {
	caFile := c.caFile
	if caFile == "" {
		if p := filepath.Join(defaultDataDir, "tls", "ca.pem"); exists(p) {
			caFile = p
		}
	}
	tc := &tls.Config{}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, "", err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("%s: no PEM certificates", caFile)
		}
		tc.RootCAs = pool
	}
	tokenFile := c.tokenFile
	if tokenFile == "" {
		if p := filepath.Join(defaultDataDir, "operator.token"); exists(p) {
			tokenFile = p
		}
	}
	if tokenFile == "" {
		return nil, "", errors.New("no token: pass --token-file with the operator token (or set STIXHUB_TOKEN_FILE)")
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, "", err
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}, strings.TrimSpace(string(tok)), nil
}
