package screen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// sameRead reports how Read and refRead disagree on obj, or "".
func sameRead(obj []byte) string {
	got, gerr := Read(obj)
	want, werr := refRead(obj)
	switch {
	case (gerr == nil) != (werr == nil):
		return fmt.Sprintf("error %v, reference %v", gerr, werr)
	case errors.Is(werr, ErrNotScreened) != errors.Is(gerr, ErrNotScreened):
		return fmt.Sprintf("error %v, reference %v", gerr, werr)
	case gerr != nil:
		return ""
	}
	if g, w := fmt.Sprintf("%#v", *got), fmt.Sprintf("%#v", *want); g != w {
		return fmt.Sprintf("\n got %s\nwant %s", g, w)
	}
	return ""
}

// corpusObjects returns every object of the repository's STIX test data
// (bundles unpacked) and of the screening examples.
func corpusObjects(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, glob := range []string{"../../testdata/stix/*/*.json", "../../testdata/screening/*.json"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
			var bundle struct {
				Objects []json.RawMessage `json:"objects"`
			}
			if json.Unmarshal(b, &bundle) == nil {
				for _, o := range bundle.Objects {
					out = append(out, o)
				}
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d corpus objects", len(out))
	}
	return out
}

// readEdgeCases are objects on which a decoder shortcut could differ from
// encoding/json.
var readEdgeCases = []string{
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":null}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":1.5}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":1e2}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":"80"}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":-0}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","confidence":99999999999999999999}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","objects":[1]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","object_refs":[1]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","revoked":"true"}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","object_marking_refs":["identity--1"]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","object_marking_refs":null}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","object_marking_refs":[],"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],"granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["pattern"]}]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["nope"]}]}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[url:value = 'http:\/\/A.example\/\u00e9']","valid_from":"2026-01-01T00:00:00.123456Z","valid_until":"bad"}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"sigma","pattern":"x"}`,
	`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[x"}`,
	`{"type":"indicator","id":1}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"1":{"type":"url","value":"HTTP://B.example"},"0":{"type":"file","hashes":{"SHA-256":"AB","MD5":"cd","MD5":"ef","x":1}}},"objects":{"1":null,"2":{"type":"autonomous-system","number":64500}},"object_refs":["ipv4-addr--2",null,"indicator--3"]}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":"url","value":"http://c.example"}},"objects":null,"objects":{"1":{"type":"x-foo","value":12.5,"type":"x-bar"}}}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":"autonomous-system","number":1e400}}}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":"autonomous-system","number":1e3,"x":[1e-400]}}}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"0":"x"}}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":7,"value":"x"}},"object_refs":null}`,
	`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"ty\u0070e":"domain-name","value":"A.Example"}}}`,
	`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"10.0.0.1","x":1e999}`,
	`{"type":"autonomous-system","id":"autonomous-system--1","number":-0}`,
	`{"type":"autonomous-system","id":"autonomous-system--1","number":1e19}`,
	`{"type":"file","id":"file--1","hashes":{"SHA-256":"` + strings.Repeat("AB", 32) + `","MD5":7},"hashes":{"MD5":"` + strings.Repeat("CD", 16) + `"}}`,
	`{"type":"file","id":"file--1","hashes":null}`,
	`{"type":"x-thing","id":"x-thing--1","value":true}`,
	`{"type":"malware","id":"malware--1","name":"x"}`,
	` {"type":"cryptocurrency-wallet","id":"cryptocurrency-wallet--1","value":"0xAbCdEf0123456789abcdef0123456789ABCDEF01"} `,
	`{"type":"cryptocurrency-wallet","id":"cryptocurrency-wallet--1","value":"\ud800"}`,
	`[1]`,
	`{"type":"indicator",}`,
}

func TestReadAgreesWithReference(t *testing.T) {
	objs := corpusObjects(t)
	for _, s := range readEdgeCases {
		objs = append(objs, []byte(s))
	}
	for _, s := range []string{
		string(indicator(id(1), "[cryptocurrency-wallet:value IN ('bc1qa', 'bc1qb')] OR [file:hashes.'SHA-256' = '"+strings.Repeat("AB", 32)+"']", map[string]any{"confidence": 70, "revoked": true, "valid_until": "2027-01-01T00:00:00Z"})),
	} {
		objs = append(objs, []byte(s))
	}
	screened := 0
	for _, obj := range objs {
		if d := sameRead(obj); d != "" {
			t.Errorf("%.300s: %s", obj, d)
		}
		if o, err := Read(obj); err == nil && len(o.Entries) > 0 {
			screened++
		}
	}
	t.Logf("%d objects, %d naming observables", len(objs), screened)
}

// FuzzReadAgreesWithReference: Read and the encoding/json reference agree on
// any input.
func FuzzReadAgreesWithReference(f *testing.F) {
	for _, s := range readEdgeCases {
		f.Add(s)
	}
	f.Add(string(indicator(id(1), "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", map[string]any{"confidence": 5})))
	f.Fuzz(func(t *testing.T, obj string) {
		if !jsonscan.Valid([]byte(obj)) {
			return
		}
		if d := sameRead([]byte(obj)); d != "" {
			t.Fatalf("%s: %s", obj, d)
		}
	})
}
