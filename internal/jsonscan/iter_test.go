package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

func TestObjectIter(t *testing.T) {
	raw := []byte(`{ "a" : 1 , "b\"":{"c":[2, 3]},"a":"x" }`)
	type member struct {
		name, value string
		offset      int
	}
	want := []member{{`"a"`, `1`, 8}, {`"b\""`, `{"c":[2, 3]}`, 18}, {`"a"`, `"x"`, 35}}
	var got []member
	it := NewObjectIter(raw)
	for it.Next() {
		got = append(got, member{string(it.Name()), string(it.Value()), it.Offset()})
		if v := raw[it.Offset() : it.Offset()+len(it.Value())]; !bytes.Equal(v, it.Value()) {
			t.Errorf("Offset %d does not locate %s", it.Offset(), it.Value())
		}
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	if len(got) != len(want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("member %d = %v, want %v", i, got[i], want[i])
		}
	}
	if it.Next() {
		t.Error("Next after the end reported a member")
	}

	for _, empty := range []string{`{}`, `{ }`, "{\n}"} {
		it := NewObjectIter([]byte(empty))
		if it.Next() || it.Err() != nil {
			t.Errorf("%q: Next, Err = true or %v", empty, it.Err())
		}
	}
}

func TestArrayIter(t *testing.T) {
	raw := []byte(`[ 1, "a,b" ,[2,[3]], {"x":null} ]`)
	want := []string{`1`, `"a,b"`, `[2,[3]]`, `{"x":null}`}
	it := NewArrayIter(raw)
	if it.Index() != -1 {
		t.Errorf("Index before Next = %d, want -1", it.Index())
	}
	for it.Next() {
		i := it.Index()
		if i >= len(want) || string(it.Value()) != want[i] {
			t.Fatalf("element %d = %s", i, it.Value())
		}
		if v := raw[it.Offset() : it.Offset()+len(it.Value())]; !bytes.Equal(v, it.Value()) {
			t.Errorf("Offset %d does not locate %s", it.Offset(), it.Value())
		}
	}
	if it.Err() != nil || it.Index()+1 != len(want) {
		t.Fatalf("after the walk: Err %v, Index %d", it.Err(), it.Index())
	}

	for _, empty := range []string{`[]`, `[ ]`} {
		it := NewArrayIter([]byte(empty))
		if it.Next() || it.Err() != nil || it.Index() != -1 {
			t.Errorf("%q: Err %v, Index %d", empty, it.Err(), it.Index())
		}
	}
}

func TestIteratorsWrongKind(t *testing.T) {
	for _, raw := range []string{``, `[]`, `"{}"`, ` {}`, `1`} {
		oi := NewObjectIter([]byte(raw))
		if !errors.Is(oi.Err(), ErrMalformed) || oi.Next() {
			t.Errorf("NewObjectIter(%q): Err %v", raw, oi.Err())
		}
	}
	for _, raw := range []string{``, `{}`, `"[]"`, ` []`, `1`} {
		ai := NewArrayIter([]byte(raw))
		if !errors.Is(ai.Err(), ErrMalformed) || ai.Next() {
			t.Errorf("NewArrayIter(%q): Err %v", raw, ai.Err())
		}
	}
}

// TestIteratorsOnMalformedInput: the iterators run on text Valid accepted,
// but must stop cleanly on anything else, truncated text included: not
// panic, not loop, and report ErrMalformed.
func TestIteratorsOnMalformedInput(t *testing.T) {
	for _, raw := range []string{
		`{`, `[`, `{ `, `[ `, `{"a"`, `{"a":`, `{"a" 1}`, `{"a":1`, `{"a":1,`, `{"a":1, `, `{"a":1 "b":2}`,
		`{"a":"x`, `{"a":"\"}`, `{"a":"\`, `{"a":[1,}`, `{1:2}`, `{"a":}`, `{,}`,
		`[1 2]`, `[1,`, `[1, `, `["\`, `["abc`, `["\"]`, `[,]`, `[{]`, `[1,]x`,
	} {
		n := 0
		oi := NewObjectIter([]byte(raw))
		for oi.Next() {
			n++
		}
		ai := NewArrayIter([]byte(raw))
		for ai.Next() {
			n++
		}
		if n > 2 {
			t.Errorf("%q: %d members or elements", raw, n)
		}
		if !errors.Is(oi.Err(), ErrMalformed) || !errors.Is(ai.Err(), ErrMalformed) {
			t.Errorf("%q: Err = %v, %v; want ErrMalformed from both", raw, oi.Err(), ai.Err())
		}
		if end := SkipValue([]byte(raw), 0); end > len(raw) {
			t.Errorf("SkipValue(%q) = %d", raw, end)
		}
	}
	// Values are skipped by counting brackets, not checked: a mismatched
	// pair inside a value is Valid's to refuse.
	it := NewObjectIter([]byte(`{"a":{]}`))
	for it.Next() {
	}
	if it.Err() != nil || string(it.Value()) != `{]` {
		t.Errorf("mismatched brackets in a value: %s, %v", it.Value(), it.Err())
	}
}

func TestIteratorsDoNotAllocate(t *testing.T) {
	raw := []byte(`{"a":[1,2,{"b":"c"}],"d":"e"}`)
	n := testing.AllocsPerRun(100, func() {
		it := NewObjectIter(raw)
		for it.Next() {
			ai := NewArrayIter(it.Value())
			for ai.Next() {
			}
		}
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzIterators holds the iterators to encoding/json's token stream on
// every object and array Valid accepts: the same names, in order, and the
// same raw values.
func FuzzIterators(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1,"b":[true,null,{"c":"d"}],"a":"\u0061"}`, ` [1, "x", [], {} ] `,
		`{"\"":"\\","x\ty":-0.5e+3}`, `[[[["deep"]]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := TrimSpace(data)
		if !Valid(raw) || (raw[0] != '{' && raw[0] != '[') {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil { // the opening bracket
			t.Fatal(err)
		}
		// next returns the next member's or element's raw value as
		// encoding/json sees it, with its name for a member.
		next := func(object bool) (name string, value json.RawMessage) {
			if object {
				tok, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				name = tok.(string)
			}
			if err := dec.Decode(&value); err != nil {
				t.Fatal(err)
			}
			return name, value
		}
		switch raw[0] {
		case '{':
			it := NewObjectIter(raw)
			for it.Next() {
				if !dec.More() {
					t.Fatalf("member %s beyond the end", it.Name())
				}
				name, value := next(true)
				got, ok := String(it.Name())
				if !ok || string(got) != name || !bytes.Equal(it.Value(), value) {
					t.Fatalf("member %s: %s, encoding/json: %q: %s", it.Name(), it.Value(), name, value)
				}
			}
			if it.Err() != nil || dec.More() {
				t.Fatalf("walk ended early: %v", it.Err())
			}
		case '[':
			it := NewArrayIter(raw)
			for it.Next() {
				if !dec.More() {
					t.Fatalf("element %d beyond the end", it.Index())
				}
				if _, value := next(false); !bytes.Equal(it.Value(), value) {
					t.Fatalf("element %d: %s, encoding/json: %s", it.Index(), it.Value(), value)
				}
			}
			if it.Err() != nil || dec.More() {
				t.Fatalf("walk ended early: %v", it.Err())
			}
		}
		if _, err := dec.Token(); err != nil { // the closing bracket
			t.Fatal(err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("text after the value: %v", err)
		}
	})
}
