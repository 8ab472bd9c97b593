package server

import (
	"regexp"
	"testing"
)

// TestIsKeyIDMatchesPattern checks isKeyID against the regular expression it
// replaced.
func TestIsKeyIDMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, s := range []string{
		"", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef",
		"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
		"0123456789abcdeg0123456789abcdef", "0123456789abcdef0123456789abcde/",
		"0123456789abcdef0123456789abcde:", "0123456789abcdef0123456789abcde`",
		"0123456789abcdef0123456789abcde\n", "ffffffffffffffffffffffffffffffff",
	} {
		if got, want := isKeyID(s), re.MatchString(s); got != want {
			t.Errorf("isKeyID(%q) = %v, want %v", s, got, want)
		}
	}
}
