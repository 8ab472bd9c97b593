package pattern

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a syntax or semantic error in a pattern. Parse and
// ParseWithOptions return only errors of this type.
type Error struct {
	// Column is the 1-based position of the problem, counted in runes
	// (Unicode code points) from the start of the pattern.
	Column int
	// Expected describes what the parser expected at Column, e.g. "']'" or
	// "a comparison operator". It is empty for semantic errors.
	Expected string
	// Found is the text of the token found at Column (shortened when long),
	// or "" at the end of the pattern.
	Found string
	// Msg explains the problem, e.g. "START must be before STOP". It may be
	// empty for a syntax error that Expected and Found describe fully.
	Msg string
}

// Error returns "column N: expected X, found 'Y'" for syntax errors and
// "column N: Msg" for the others.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("column ")
	b.WriteString(strconv.Itoa(e.Column))
	b.WriteString(": ")
	if e.Expected != "" {
		b.WriteString("expected ")
		b.WriteString(e.Expected)
		b.WriteString(", found ")
		if e.Found == "" {
			b.WriteString("end of pattern")
		} else {
			b.WriteByte('\'')
			b.WriteString(e.Found)
			b.WriteByte('\'')
		}
		if e.Msg != "" {
			b.WriteString(" (")
			b.WriteString(e.Msg)
			b.WriteByte(')')
		}
		return b.String()
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Matcher errors. Match wraps them with the detail, so test with errors.Is.
var (
	// ErrUnsupported reports a pattern the matcher cannot evaluate exactly,
	// for example a negative list index. The matcher never guesses.
	ErrUnsupported = errors.New("not supported by the matcher")
	// ErrMatchLimit reports that deciding the match would take more than the
	// matcher's search budget (MatchBudget steps). Patterns that combine
	// observations (AND, FOLLOWEDBY, REPEATS) over many observations can
	// need an exponential search; the matcher stops instead of guessing.
	ErrMatchLimit = errors.New("match search limit exceeded")
	// ErrNoTime reports an observation without first/last times given to a
	// pattern whose FOLLOWEDBY, WITHIN or START/STOP needs them.
	ErrNoTime = errors.New("observation has no first/last time")
)

// maxFound bounds the length of Error.Found, in runes.
const maxFound = 40

// shorten returns s cut to maxFound runes, with "..." when cut.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxFound {
		return s
	}
	n := 0
	for i := range s {
		if n == maxFound {
			return s[:i] + "..."
		}
		n++
	}
	return s
}
