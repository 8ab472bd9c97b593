package server

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/internal/jsonscan"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/stix"
)

// refsOfWalk is the recursive walk refsOf replaced, kept as its reference.
func refsOfWalk(obj []byte) []string {
	var out []string
	var walk func(v []byte, depth int)
	add := func(raw []byte) {
		if s, ok := jsonscan.String(raw); ok && !bytes.HasPrefix(s, []byte("marking-definition--")) && bytes.Contains(s, []byte("--")) {
			id := strings.ToLower(string(s))
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	walk = func(v []byte, depth int) {
		if depth > 16 || len(v) == 0 {
			return
		}
		switch v[0] {
		case '{':
			it := jsonscan.NewObjectIter(v)
			for it.Next() {
				name, _ := jsonscan.String(it.Name())
				switch {
				case bytes.HasSuffix(name, []byte("_ref")):
					add(it.Value())
				case bytes.HasSuffix(name, []byte("_refs")):
					arr := jsonscan.NewArrayIter(it.Value())
					for arr.Next() {
						add(arr.Value())
					}
				default:
					walk(it.Value(), depth+1)
				}
			}
		case '[':
			it := jsonscan.NewArrayIter(v)
			for it.Next() {
				walk(it.Value(), depth+1)
			}
		}
	}
	walk(obj, 0)
	return out
}

// refsSeeds are objects that exercise the corners of reference extraction.
var refsSeeds = []string{
	`{"type":"report","id":"report--1","created_by_ref":"identity--A","object_refs":["indicator--B","Malware--C","indicator--B"]}`,
	`{"a_ref":{"b_ref":"x--1"},"c_refs":[{"d_ref":"x--2"},"x--3",7],"e_refs":"x--4","f":[[{"g_ref":"x--5"}]]}`,
	`{"n\u005fref":"x--1","m_re\u0066s":["x--2"],"k\\_ref":"x--3","q\"_ref":"X--4","s_ref":"marking-definition--5","t_ref":"no-dashes"}`,
	`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q_ref":"x--16","r":{"s_ref":"x--17"}}}}}}}}}}}}}}}}}}`,
	`[{"a_ref":"x--1"},[{"b_ref":"x--2"}]]`,
	`{ "a_ref" : "x--1" , "b" : [ "c_ref" , { "d_refs" : [ "x--2" , "x--3" ] } ] }`,
	`{"a":"b_ref","c_ref":"x--\u0031","d_ref":"x--\"e"}`,
}

// TestRefsOfMatchesWalk holds refsOf to the recursive walk it replaced, on
// the seeds and on every object of the STIX corpora, raw and canonical.
func TestRefsOfMatchesWalk(t *testing.T) {
	check := func(name string, obj []byte) {
		t.Helper()
		if got, want := refsOf(obj), refsOfWalk(obj); !slices.Equal(got, want) {
			t.Errorf("%s: refsOf = %q, walk = %q", name, got, want)
		}
	}
	for i, s := range refsSeeds {
		check("seed "+string(rune('0'+i)), []byte(s))
	}
	files, _ := filepath.Glob("../testdata/stix/*/*.json")
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := stix.ReadObjects(fh)
		fh.Close()
		if err != nil {
			continue // not a bundle or object file
		}
		for _, o := range objs {
			check(f, o)
			if c, err := sign.Canonicalize(o); err == nil {
				check(f+" (canonical)", c)
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d corpus objects found", n)
	}
}

// FuzzRefsOf holds refsOf to the recursive walk on any valid JSON.
func FuzzRefsOf(f *testing.F) {
	for _, s := range refsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		if !jsonscan.Valid(obj) {
			return
		}
		obj = jsonscan.TrimSpace(obj)
		if got, want := refsOf(obj), refsOfWalk(obj); !slices.Equal(got, want) {
			t.Fatalf("refsOf = %q, walk = %q", got, want)
		}
	})
}
