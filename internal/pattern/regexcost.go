package pattern

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Checking a MATCHES operand with regexp/syntax is linear in the text but
// some constructs are expensive: a Unicode property class (\pL) copies
// hundreds of ranges (about 20-50 µs each), and a case-insensitive class
// range is folded one code point at a time (up to 5 ms for a range as wide
// as [\x{100}-\x{10000}]). A hostile pattern could make the hub spend
// seconds on it, so Parse first estimates the cost with regexCost, a
// conservative scan, and refuses a pattern over maxRegexCost.

// maxRegexCost is the estimated cost, in microseconds, that the MATCHES
// operands of one pattern may take to check.
const maxRegexCost = 1000

// The fold-sensitive code points: regexp/syntax folds ranges within these
// bounds code point by code point (unicode.SimpleFold's domain).
const (
	minFold = 0x0041
	maxFold = 0x1e943
)

// regexCost estimates, in microseconds, what syntax.Parse will spend on re.
// It over-estimates: it assumes case folding applies everywhere if any
// (?i) flag appears, and it does not need re to be valid.
func regexCost(re string) int {
	fold := hasFoldFlag(re)
	cost := len(re) / 4 // plain syntax: well under a microsecond a byte
	inClass := false
	prev := rune(-1) // the last single character in the current class
	for i := 0; i < len(re); {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re):
			e := re[i+1]
			switch {
			case e == 'p' || e == 'P':
				cost += 50
				i += 2
				if i < len(re) && re[i] == '{' {
					if j := strings.IndexByte(re[i:], '}'); j >= 0 {
						i += j + 1
					}
				} else if i < len(re) {
					i++
				}
				prev = -1
				continue
			case e == 'Q':
				end := strings.Index(re[i+2:], `\E`)
				if end < 0 {
					i = len(re)
				} else {
					i += 2 + end + 2
				}
				prev = -1
				continue
			}
			r, n := escapeRune(re[i:])
			i += n
			prev = -1
			if inClass {
				prev = r
			}
			continue
		case c == '[' && !inClass:
			inClass = true
			prev = -1
			i++
			if i < len(re) && re[i] == '^' {
				i++
			}
			if i < len(re) && re[i] == ']' { // a leading ] is literal
				prev = ']'
				i++
			}
			if strings.HasPrefix(re[i:], "[:") { // [[:alpha:]]: ASCII
				if j := strings.Index(re[i:], ":]"); j >= 0 {
					i += j + 2
				}
			}
			continue
		case c == ']' && inClass:
			inClass = false
			i++
			continue
		case c == '-' && inClass && prev >= 0 && i+1 < len(re) && re[i+1] != ']':
			// A range: its upper end is the next character or escape.
			lo := prev
			i++
			var hi rune
			var n int
			if re[i] == '\\' {
				hi, n = escapeRune(re[i:])
			} else {
				hi, n = utf8.DecodeRuneInString(re[i:])
			}
			i += n
			if hi >= 0 {
				cost += foldWidth(lo, hi, fold)
			}
			prev = -1
			continue
		case c == '[' && strings.HasPrefix(re[i:], "[:"): // [:alpha:] in a class
			if j := strings.Index(re[i:], ":]"); j >= 0 {
				i += j + 2
				prev = -1
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(re[i:])
		i += n
		if inClass {
			prev = r
		}
	}
	return cost
}

// foldWidth estimates the cost of the class range lo-hi: folding visits
// each code point in the fold-sensitive span (about 40 ns each) unless the
// range covers all of it.
func foldWidth(lo, hi rune, fold bool) int {
	if !fold || hi < lo {
		return 1
	}
	if lo <= minFold && hi >= maxFold {
		return 1
	}
	lo, hi = max(lo, minFold), min(hi, maxFold)
	if hi < lo {
		return 1
	}
	return int(hi-lo+1)/25 + 1
}

// escapeRune returns the character an escape at the start of s stands for
// (\x41, \x{263a}, \101, \. ...), or -1 for escapes that are not one
// character (\d, \w, \b...), and the escape's length in bytes.
func escapeRune(s string) (rune, int) {
	if len(s) < 2 {
		return -1, len(s)
	}
	e := s[1]
	switch {
	case e == 'x':
		if len(s) > 2 && s[2] == '{' {
			j := strings.IndexByte(s, '}')
			if j < 0 {
				return -1, len(s)
			}
			v, err := strconv.ParseUint(s[3:j], 16, 32)
			if err != nil {
				return -1, j + 1
			}
			return rune(v), j + 1
		}
		if len(s) >= 4 {
			v, err := strconv.ParseUint(s[2:4], 16, 8)
			if err == nil {
				return rune(v), 4
			}
		}
		return -1, 2
	case '0' <= e && e <= '7':
		j := 2
		for j < len(s) && j < 4 && '0' <= s[j] && s[j] <= '7' {
			j++
		}
		v, _ := strconv.ParseUint(s[1:j], 8, 32)
		return rune(v), j
	case e < utf8.RuneSelf && !('a' <= e && e <= 'z' || 'A' <= e && e <= 'Z'):
		return rune(e), 2 // escaped punctuation
	case e == 'a':
		return 7, 2
	case e == 'f':
		return '\f', 2
	case e == 't':
		return '\t', 2
	case e == 'n':
		return '\n', 2
	case e == 'r':
		return '\r', 2
	case e == 'v':
		return '\v', 2
	}
	_, n := utf8.DecodeRuneInString(s[1:])
	return -1, 1 + n
}

// hasFoldFlag reports whether re sets the case-insensitive flag anywhere:
// (?i), (?mi), (?i:...) and the like.
func hasFoldFlag(re string) bool {
	for i := 0; ; {
		j := strings.Index(re[i:], "(?")
		if j < 0 {
			return false
		}
		i += j + 2
		for i < len(re) && re[i] != ')' && re[i] != ':' {
			if re[i] == 'i' {
				return true
			}
			i++
		}
	}
}
