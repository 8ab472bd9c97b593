package pattern

// isSCOType reports whether typ is a STIX 2.1 cyber-observable object type.
func isSCOType(typ string) bool {
	switch typ {
	case "artifact", "autonomous-system", "directory", "domain-name",
		"email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr",
		"mac-addr", "mutex", "network-traffic", "process", "software", "url",
		"user-account", "windows-registry-key", "x509-certificate":
		return true
	}
	return false
}

// isCustomType reports whether typ is a well-formed custom object type:
// "x-" then lower-case ASCII letters, digits and hyphens, 3 to 250
// characters in all (the STIX 2.1 rules for type names).
func isCustomType(typ string) bool {
	if len(typ) < 3 || len(typ) > 250 || typ[0] != 'x' || typ[1] != '-' {
		return false
	}
	for i := 2; i < len(typ); i++ {
		c := typ[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// hashAlgo reports, for a path ending in hashes.<key>, the key and the
// digest length in hex digits when the key names a hex hash algorithm of
// fixed length (the STIX hash-algorithm-ov, plus the STIX 2.0 names the
// OASIS validator knows). Key matching ignores case and '-', as the
// validator does: 'SHA-256', SHA256 and sha256 are one algorithm. It returns
// n = 0 for other paths and keys (SSDEEP, TLSH, custom ones).
func hashAlgo(p Path) (key string, n int) {
	s := p.Steps
	if len(s) < 2 || s[len(s)-1].Kind != StepKey || s[len(s)-2].Kind != StepKey || s[len(s)-2].Key != "hashes" {
		return "", 0
	}
	key = s[len(s)-1].Key
	var buf [12]byte
	j := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '-' {
			continue
		}
		if j == len(buf) {
			return "", 0
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[j] = c
		j++
	}
	switch string(buf[:j]) {
	case "MD5":
		n = 32
	case "SHA1", "RIPEMD160":
		n = 40
	case "SHA224", "SHA3224":
		n = 56
	case "SHA256", "SHA3256":
		n = 64
	case "SHA384", "SHA3384":
		n = 96
	case "SHA512", "SHA3512", "WHIRLPOOL":
		n = 128
	}
	return key, n
}
