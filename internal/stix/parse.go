package stix

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// Parse decodes one STIX 2.1 object from JSON and validates it against the
// STIX 2.1 specification: ParseWithOptions with the zero ParseOptions.
//
// Invalid content returns a *ValidationError (use errors.As) listing every
// problem found. The error unwraps to ErrNotObject when data is JSON but not
// an object, and to the *json.SyntaxError when data is not JSON. Surrounding
// whitespace is ignored. Text that is not valid UTF-8 is refused, because
// JSON decoders disagree on how to repair it and the hub signs what it
// accepts.
//
// Parse reads only what it validates; custom properties and extensions are
// checked for shape and kept untouched. It never panics, does not retain
// data, and is safe for concurrent use.
func Parse(data []byte) (*Object, error) {
	return ParseWithOptions(data, ParseOptions{})
}

// ParseOptions extends Parse with what only the hub knows. The zero value
// knows no extension-defined types and checks STIX patterns with
// internal/pattern.
type ParseOptions struct {
	// KnownType reports whether t, a valid type name that is neither a
	// STIX 2.1 type nor a custom "x-" type, is defined by an
	// extension-definition the hub accepts (extension_types new-sdo,
	// new-sco or new-sro). Objects of such a type are validated as the
	// class their extension names. Nil means no such type is known, and
	// their objects are refused as of an unknown type. It must be safe for
	// concurrent use.
	KnownType func(t string) bool

	// CheckPattern validates the pattern of every indicator whose
	// pattern_type is "stix"; an error becomes a violation of the field
	// pattern. An error with a method Column() int has the column in the
	// description. Nil means the full STIX pattern check of
	// internal/pattern, knowing the types KnownType knows. It must be safe
	// for concurrent use.
	CheckPattern func(pattern string) error
}

// ParseWithOptions is Parse with opts.
func ParseWithOptions(data []byte, opts ParseOptions) (*Object, error) {
	return parse(data, opts, false)
}

// ParseValidWithOptions is ParseWithOptions for data the caller has already
// checked to be valid JSON text, at least as strictly as jsonscan.Valid: the
// hub's publish path, for one, has sign.Canonicalize accept the object
// first, which checks RFC 8259 syntax, UTF-8 and more. It skips Parse's own
// JSON validation pass and makes every STIX check. On text that is not
// valid JSON its result is unspecified, though it neither panics nor loops.
func ParseValidWithOptions(data []byte, opts ParseOptions) (*Object, error) {
	return parse(data, opts, true)
}

// parse is ParseWithOptions; valid says data is known to be valid JSON.
func parse(data []byte, opts ParseOptions, valid bool) (*Object, error) {
	data = jsonscan.TrimSpace(data)
	if len(data) > 0 && data[0] != '{' {
		if !jsonscan.Valid(data) {
			return nil, invalidJSON(data)
		}
		return nil, &ValidationError{
			Violations: []Violation{{Description: "must be a JSON object, not " + jsonscan.Kind(data)}},
			cause:      ErrNotObject,
		}
	}

	c := checkers.Get().(*checker)
	defer func() {
		*c = checker{} // drop the references into data
		checkers.Put(c)
	}()
	c.opts, c.size, c.data = opts, len(data), data
	c.props.list = c.buf[:0]
	if valid {
		// The members alone, with the iterator's quicker steps.
		it := jsonscan.NewObjectIter(data)
		for it.Next() {
			c.props.add(it.Name(), it.Value())
		}
		if it.Err() != nil {
			return nil, invalidJSON(data)
		}
	} else if !jsonscan.ValidObject(data, c.props.add) {
		return nil, invalidJSON(data)
	}
	c.reportDuplicates()
	id := c.checkTypeAndID()
	c.runProps(commonProps)
	c.runRules(commonRules)
	if c.spec != nil {
		c.runProps(c.spec.props)
		c.runRules(c.spec.rules)
		c.checkCustomProperties()
	}
	if len(c.vs) > 0 {
		if c.truncated {
			c.vs = append(c.vs, Violation{Description: "too many violations; the rest are not listed"})
		}
		return nil, &ValidationError{ID: id, Violations: c.vs}
	}
	return c.object(id), nil
}

// checkers recycles the checkers of ParseWithOptions. One is about 2 KiB
// (its property table is inline), and the hub parses every object it is
// sent: allocating one each time was most of Parse's garbage. A checker goes
// back zeroed; nothing Parse returns points into it.
var checkers = sync.Pool{New: func() any { return new(checker) }}

// invalidJSON returns the error for data that is not JSON text.
func invalidJSON(data []byte) *ValidationError {
	_, err := jsonError(data)
	ve := &ValidationError{Violations: []Violation{{Description: "invalid JSON: " + err.Error()}}}
	if err != errNotUTF8 {
		ve.cause = err
	}
	return ve
}

// errNotUTF8 describes text that is not valid UTF-8.
var errNotUTF8 = errors.New("not valid UTF-8")

// jsonError explains why data, which jsonscan.Valid refused, is not JSON text,
// and returns the offset of the problem: the first byte that is not UTF-8,
// or the byte at which encoding/json gave up (its *json.SyntaxError).
func jsonError(data []byte) (off int, err error) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i, errNotUTF8
		}
		i += size
	}
	var v json.RawMessage
	err = json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 {
		// Offset counts the bytes read, the offending one included.
		return int(se.Offset) - 1, err
	}
	if err == nil {
		// encoding/json and jsonscan.Valid agree on all UTF-8 text (the fuzz
		// tests check it), so this is not reached.
		err = errors.New("refused by the validator")
	}
	return 0, err
}

// object builds the Object of a valid object.
func (c *checker) object(id string) *Object {
	o := &Object{Type: c.typ, ID: id}
	if _, ok := c.props.get("spec_version"); ok {
		o.SpecVersion = "2.1" // the only value checkSpecVersion accepts
	}
	o.Created, _ = c.timestamp("created")
	o.Modified, _ = c.timestamp("modified")
	if raw, ok := c.props.get("created_by_ref"); ok {
		s, _ := jsonscan.String(raw)
		o.CreatedByRef = string(s)
	}
	return o
}

// member is one top-level property of an object.
type member struct {
	name  []byte // unescaped; aliases the input unless it had escapes
	value []byte // raw JSON value
}

// members are an object's top-level properties in input order, first
// occurrence only, with a small open-addressing hash table over their names
// (no allocation, no per-lookup scan); an object with more properties than
// the table holds switches to a map.
type members struct {
	list  []member
	slots [tableSize]uint8 // 0 empty, else 1 + position in list
	index map[string]int   // replaces slots once len(list) > tableMax
	dups  []int            // positions in list of names seen again, once per repeat
}

const (
	tableSize = 64 // a power of two
	tableMax  = 40 // keeps the table at most 5/8 full
)

// hashName is FNV-1a, enough to spread property names over the table.
func hashName[T string | []byte](s T) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// get returns the raw value of the property called name.
func (m *members) get(name string) ([]byte, bool) {
	if i, _ := m.find(name); i >= 0 {
		return m.list[i].value, true
	}
	return nil, false
}

// find returns the position in list of the property called name, or -1 and
// the free slot where it would go.
func (m *members) find(name string) (pos, slot int) {
	return m.findHashed(name, hashName(name))
}

// findHashed is find for a name whose hashName is h, which callers that
// look the same names up in every object compute once.
func (m *members) findHashed(name string, h uint32) (pos, slot int) {
	if m.index != nil {
		if i, ok := m.index[name]; ok {
			return i, -1
		}
		return -1, -1
	}
	for s := int(h); ; s++ {
		s &= tableSize - 1
		e := m.slots[s]
		if e == 0 {
			return -1, s
		}
		if string(m.list[e-1].name) == name {
			return int(e - 1), s
		}
	}
}

// add appends a property given its raw name literal, or records it as
// duplicated if it is already there. Names are unescaped, so "\u0074ype"
// duplicates "type".
func (m *members) add(lit, value []byte) {
	name, ok := jsonscan.String(lit)
	if !ok {
		return // cannot happen: the validator checked lit
	}
	i, slot := m.find(string(name))
	if i >= 0 {
		m.dups = append(m.dups, i) // repeats are removed when reported
		return
	}
	m.list = append(m.list, member{name: name, value: value})
	switch {
	case m.index != nil:
		m.index[string(name)] = len(m.list) - 1
	case len(m.list) > tableMax:
		m.index = make(map[string]int, 2*len(m.list))
		for i := range m.list {
			m.index[string(m.list[i].name)] = i
		}
	default:
		m.slots[slot] = uint8(len(m.list))
	}
}

// reportDuplicates reports each name that occurs more than once, in order of
// first occurrence.
func (c *checker) reportDuplicates() {
	slices.Sort(c.props.dups)
	for _, i := range slices.Compact(c.props.dups) {
		c.add(string(c.props.list[i].name), "duplicate property")
	}
}
