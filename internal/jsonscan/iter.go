package jsonscan

import "errors"

// ErrMalformed is what an iterator's Err returns when its text is not the
// kind of value it walks (an object for ObjectIter, an array for ArrayIter)
// or the walk stopped on malformed or truncated text.
var ErrMalformed = errors.New("jsonscan: not a well-formed object or array")

// ObjectIter walks the members of a JSON object, in order, duplicates
// included, without allocating:
//
//	it := jsonscan.NewObjectIter(raw)
//	for it.Next() {
//		use(it.Name(), it.Value())
//	}
//	if it.Err() != nil { ... }
//
// Err is set from the start when raw is not an object, so it can be checked
// before the loop as well as after it.
type ObjectIter struct {
	data   []byte
	pos    int // index of the next member's name; -1 once the walk is over
	name   []byte
	value  []byte
	offset int
	failed bool
}

// NewObjectIter returns an iterator over the members of the object raw,
// which starts with '{' (no whitespace before it).
func NewObjectIter(raw []byte) ObjectIter {
	it := ObjectIter{data: raw}
	if len(raw) == 0 || raw[0] != '{' {
		it.fail()
		return it
	}
	it.pos = SkipSpace(raw, 1)
	if it.pos < len(raw) && raw[it.pos] == '}' {
		it.pos = -1
	}
	return it
}

// Next advances to the next member and reports whether there is one. It
// reports false at the end of the object and on malformed text (see Err).
func (it *ObjectIter) Next() bool {
	if it.pos < 0 {
		return false
	}
	d := it.data
	i := it.pos
	end := SkipString(d, i)
	if end < 0 {
		return it.fail()
	}
	it.name = d[i:end]
	i = SkipSpace(d, end)
	if i >= len(d) || d[i] != ':' {
		return it.fail()
	}
	i = SkipSpace(d, i+1)
	end = SkipValue(d, i)
	if end < 0 {
		return it.fail()
	}
	it.offset = i
	it.value = d[i:end]
	i = SkipSpace(d, end)
	switch {
	case i < len(d) && d[i] == ',':
		it.pos = SkipSpace(d, i+1)
	case i < len(d) && d[i] == '}':
		it.pos = -1
	default:
		return it.fail()
	}
	return true
}

// Name returns the current member's name as its raw literal, quotes and
// escapes included (String unescapes it).
func (it *ObjectIter) Name() []byte { return it.name }

// Value returns the current member's raw value.
func (it *ObjectIter) Value() []byte { return it.value }

// Offset returns the byte offset of the current member's value in the
// object's text, for positions in messages.
func (it *ObjectIter) Offset() int { return it.offset }

// Err returns ErrMalformed if the text is not an object or the walk stopped
// on malformed text, else nil.
func (it *ObjectIter) Err() error {
	if it.failed {
		return ErrMalformed
	}
	return nil
}

func (it *ObjectIter) fail() bool {
	it.failed = true
	it.pos = -1
	return false
}

// ArrayIter walks the elements of a JSON array without allocating, like
// ObjectIter.
type ArrayIter struct {
	data   []byte
	pos    int // index of the next element; -1 once the walk is over
	index  int
	value  []byte
	offset int
	failed bool
}

// NewArrayIter returns an iterator over the elements of the array raw,
// which starts with '[' (no whitespace before it).
func NewArrayIter(raw []byte) ArrayIter {
	it := ArrayIter{data: raw, index: -1}
	if len(raw) == 0 || raw[0] != '[' {
		it.fail()
		return it
	}
	it.pos = SkipSpace(raw, 1)
	if it.pos < len(raw) && raw[it.pos] == ']' {
		it.pos = -1
	}
	return it
}

// Next advances to the next element and reports whether there is one. It
// reports false at the end of the array and on malformed text (see Err).
func (it *ArrayIter) Next() bool {
	if it.pos < 0 {
		return false
	}
	d := it.data
	i := it.pos
	end := SkipValue(d, i)
	if end < 0 {
		return it.fail()
	}
	it.index++
	it.offset = i
	it.value = d[i:end]
	i = SkipSpace(d, end)
	switch {
	case i < len(d) && d[i] == ',':
		it.pos = SkipSpace(d, i+1)
	case i < len(d) && d[i] == ']':
		it.pos = -1
	default:
		return it.fail()
	}
	return true
}

// Index returns the zero-based index of the current element: -1 before the
// first call to Next, and after the walk the index of the last element
// seen, so that Index()+1 counts the elements of a whole walk.
func (it *ArrayIter) Index() int { return it.index }

// Value returns the current element's raw text.
func (it *ArrayIter) Value() []byte { return it.value }

// Offset returns the byte offset of the current element in the array's
// text, for positions in messages.
func (it *ArrayIter) Offset() int { return it.offset }

// Err returns ErrMalformed if the text is not an array or the walk stopped
// on malformed text, else nil.
func (it *ArrayIter) Err() error {
	if it.failed {
		return ErrMalformed
	}
	return nil
}

func (it *ArrayIter) fail() bool {
	it.failed = true
	it.pos = -1
	return false
}
