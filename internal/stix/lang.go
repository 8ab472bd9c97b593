package stix

// validLangTag reports whether s is shaped as an RFC 5646 language tag
// (section 2.1 of the RFC):
//
//	langtag    = language ["-" script] ["-" region] *("-" variant)
//	             *("-" extension) ["-" privateuse]
//	language   = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
//	extlang    = 3ALPHA *2("-" 3ALPHA)
//	script     = 4ALPHA
//	region     = 2ALPHA / 3DIGIT
//	variant    = 5*8alphanum / (DIGIT 3alphanum)
//	extension  = singleton 1*("-" (2*8alphanum))
//	privateuse = "x" 1*("-" (1*8alphanum))
//
// or a private-use tag or one of the grandfathered tags. Tags are case
// insensitive. It checks the shape only, not that the subtags are
// registered with IANA.
func validLangTag(s []byte) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	if isGrandfathered(s) {
		return true
	}
	var tags [32][]byte
	n := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '-' {
			if !isAlnum(s[i]) {
				return false
			}
			continue
		}
		if i == start || i-start > 8 || n == len(tags) {
			return false
		}
		tags[n] = s[start:i]
		n++
		start = i + 1
	}
	t := tags[:n]
	if isPrivateUseSingleton(t[0]) {
		return validPrivateUse(t[1:])
	}
	// language
	lang := t[0]
	if !allAlpha(lang) || len(lang) < 2 {
		return false
	}
	t = t[1:]
	if len(lang) <= 3 {
		for k := 0; k < 3 && len(t) > 0 && len(t[0]) == 3 && allAlpha(t[0]); k++ {
			t = t[1:] // extlang
		}
	}
	if len(t) > 0 && len(t[0]) == 4 && allAlpha(t[0]) {
		t = t[1:] // script
	}
	if len(t) > 0 && (len(t[0]) == 2 && allAlpha(t[0]) || len(t[0]) == 3 && allDigit(t[0])) {
		t = t[1:] // region
	}
	for len(t) > 0 && (len(t[0]) >= 5 || len(t[0]) == 4 && isDigit(t[0][0])) {
		t = t[1:] // variant
	}
	for len(t) > 0 && len(t[0]) == 1 && !isPrivateUseSingleton(t[0]) {
		t = t[1:] // extension singleton, then at least one 2-8 character subtag
		k := 0
		for len(t) > 0 && len(t[0]) >= 2 {
			t = t[1:]
			k++
		}
		if k == 0 {
			return false
		}
	}
	if len(t) > 0 && isPrivateUseSingleton(t[0]) {
		return validPrivateUse(t[1:])
	}
	return len(t) == 0
}

// validPrivateUse checks the subtags after "x": at least one, each of 1-8
// characters (already checked by the caller).
func validPrivateUse(t [][]byte) bool { return len(t) > 0 }

func isPrivateUseSingleton(t []byte) bool { return len(t) == 1 && (t[0] == 'x' || t[0] == 'X') }

func isAlnum(b byte) bool { return isAlpha(b) || isDigit(b) }
func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func allAlpha(t []byte) bool {
	for _, b := range t {
		if !isAlpha(b) {
			return false
		}
	}
	return true
}

func allDigit(t []byte) bool {
	for _, b := range t {
		if !isDigit(b) {
			return false
		}
	}
	return true
}

// grandfathered are the tags of RFC 5646 that do not follow the langtag
// production (irregular) or are kept for compatibility (regular).
var grandfathered = []string{
	"en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux",
	"i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
	"art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka", "zh-min", "zh-min-nan", "zh-xiang",
}

// isGrandfathered reports whether s is a grandfathered tag, in any case.
func isGrandfathered(s []byte) bool {
	for _, g := range grandfathered {
		if len(g) != len(s) {
			continue
		}
		match := true
		for i := range s {
			b := s[i]
			if b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			}
			if b != g[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
