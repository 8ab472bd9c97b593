package pattern

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token. The names follow the lexer rules of
// STIXPattern.g4.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tInvalid         // a lexical error, already recorded in parser.err

	tLBrack   // [
	tRBrack   // ]
	tLParen   // (
	tRParen   // )
	tColon    // :
	tDot      // .
	tComma    // ,
	tAsterisk // *
	tEQ       // = ==
	tNEQ      // != <>
	tLT       // <
	tLE       // <=
	tGT       // >
	tGE       // >=
	tPlus     // + (lexed by the grammar, used by no parser rule)
	tMinus    // - (idem)
	tPower    // ^ (idem)
	tDivide   // / (idem)

	tIdent       // IdentifierWithoutHyphen
	tIdentHyphen // IdentifierWithHyphen that contains a '-'
	tString      // StringLiteral
	tInt         // IntPosLiteral, IntNegLiteral
	tFloat       // FloatPosLiteral, FloatNegLiteral
	tBool        // BoolLiteral
	tHex         // HexLiteral
	tBinary      // BinaryLiteral
	tTimestamp   // TimestampLiteral

	// Keywords. LAST is reserved by the grammar but used by no rule.
	tAND
	tOR
	tNOT
	tFOLLOWEDBY
	tLIKE
	tMATCHES
	tISSUPERSET
	tISSUBSET
	tEXISTS
	tLAST
	tIN
	tSTART
	tSTOP
	tSECONDS
	tWITHIN
	tREPEATS
	tTIMES
)

// token is one lexed token: its kind and its byte range in the source.
type token struct {
	kind     tokKind
	pos, end int
	// str is the unescaped text of a tString. It aliases the source when the
	// literal has no escapes.
	str string
}

// keyword returns the keyword or boolean token for s, or tIdent.
func keyword(s string) tokKind {
	switch s {
	case "AND":
		return tAND
	case "OR":
		return tOR
	case "NOT":
		return tNOT
	case "FOLLOWEDBY":
		return tFOLLOWEDBY
	case "LIKE":
		return tLIKE
	case "MATCHES":
		return tMATCHES
	case "ISSUPERSET":
		return tISSUPERSET
	case "ISSUBSET":
		return tISSUBSET
	case "EXISTS":
		return tEXISTS
	case "LAST":
		return tLAST
	case "IN":
		return tIN
	case "START":
		return tSTART
	case "STOP":
		return tSTOP
	case "SECONDS":
		return tSECONDS
	case "WITHIN":
		return tWITHIN
	case "REPEATS":
		return tREPEATS
	case "TIMES":
		return tTIMES
	case "true", "false":
		return tBool
	}
	return tIdent
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
func isBase64(c byte) bool {
	return isIdentPart(c) && c != '_' || c == '+' || c == '/'
}

// isSpace reports whether r is in the grammar's WS rule.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f',
		'\u0085', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000':
		return true
	}
	return '\u2000' <= r && r <= '\u200a'
}

// next lexes the token at p.off into p.tok, skipping white space and
// comments. On a lexical error it records the error and yields tInvalid.
func (p *parser) next() {
	p.skipSpace()
	if p.err != nil {
		p.tok = token{kind: tInvalid, pos: p.off, end: p.off}
		return
	}
	s, i := p.src, p.off
	if i >= len(s) {
		p.tok = token{kind: tEOF, pos: i, end: i}
		return
	}
	kind, n := tInvalid, 1
	switch c := s[i]; c {
	case '[':
		kind = tLBrack
	case ']':
		kind = tRBrack
	case '(':
		kind = tLParen
	case ')':
		kind = tRParen
	case ':':
		kind = tColon
	case ',':
		kind = tComma
	case '*':
		kind = tAsterisk
	case '^':
		kind = tPower
	case '/':
		kind = tDivide
	case '=':
		kind = tEQ
		if i+1 < len(s) && s[i+1] == '=' {
			n = 2
		}
	case '!':
		if i+1 < len(s) && s[i+1] == '=' {
			kind, n = tNEQ, 2
		} else {
			p.lexError(i, "unexpected character '!' (did you mean '!='?)")
			return
		}
	case '<':
		kind = tLT
		if i+1 < len(s) && s[i+1] == '=' {
			kind, n = tLE, 2
		} else if i+1 < len(s) && s[i+1] == '>' {
			kind, n = tNEQ, 2
		}
	case '>':
		kind = tGT
		if i+1 < len(s) && s[i+1] == '=' {
			kind, n = tGE, 2
		}
	case '.':
		if i+1 < len(s) && isDigit(s[i+1]) {
			p.lexNumber(i)
			return
		}
		kind = tDot
	case '+', '-':
		if i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '.' && i+2 < len(s) && isDigit(s[i+2])) {
			p.lexNumber(i)
			return
		}
		kind = tPlus
		if c == '-' {
			kind = tMinus
		}
	case '\'':
		p.lexString(i)
		return
	default:
		switch {
		case isDigit(c):
			p.lexNumber(i)
			return
		case isIdentStart(c):
			p.lexIdent(i)
			return
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		p.lexError(i, "unexpected character "+quoteRune(r))
		return
	}
	p.tok = token{kind: kind, pos: i, end: i + n}
	p.off = i + n
}

// quoteRune returns r in quotes for a message, or as U+XXXX when it is not
// printable.
func quoteRune(r rune) string {
	if r == utf8.RuneError || !unicode.IsPrint(r) {
		return fmt.Sprintf("U+%04X", r)
	}
	return "'" + string(r) + "'"
}

// skipSpace skips white space and comments.
func (p *parser) skipSpace() {
	s := p.src
	for p.off < len(s) {
		c := s[p.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f':
			p.off++
		case c == '/' && p.off+1 < len(s) && s[p.off+1] == '*':
			end := strings.Index(s[p.off+2:], "*/")
			if end < 0 {
				p.lexError(p.off, "unterminated comment: '/*' without '*/'")
				return
			}
			p.off += 2 + end + 2
		case c == '/' && p.off+1 < len(s) && s[p.off+1] == '/':
			end := strings.IndexAny(s[p.off:], "\r\n")
			if end < 0 {
				p.off = len(s)
			} else {
				p.off += end
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[p.off:])
			if !isSpace(r) {
				return
			}
			p.off += n
		default:
			return
		}
	}
}

// lexIdent lexes an identifier, keyword, boolean, or a literal with a
// one-letter prefix: h'..', b'..', t'..'.
func (p *parser) lexIdent(i int) {
	s := p.src
	j := i + 1
	hyphen := false
	for j < len(s) && (isIdentPart(s[j]) || s[j] == '-') {
		if s[j] == '-' {
			hyphen = true
		}
		j++
	}
	if j == i+1 && j < len(s) && s[j] == '\'' {
		switch s[i] {
		case 'h':
			p.lexHex(i)
			return
		case 'b':
			p.lexBinary(i)
			return
		case 't':
			p.lexTimestamp(i)
			return
		}
	}
	kind := tIdentHyphen
	if !hyphen {
		kind = keyword(s[i:j])
	}
	p.tok = token{kind: kind, pos: i, end: j}
	p.off = j
}

// lexNumber lexes IntPosLiteral, IntNegLiteral, FloatPosLiteral or
// FloatNegLiteral starting at i (a sign, a digit or a '.').
func (p *parser) lexNumber(i int) {
	s := p.src
	j := i
	if s[j] == '+' || s[j] == '-' {
		j++
	}
	digits := j
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		j += 2
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		p.tok = token{kind: tFloat, pos: i, end: j}
		p.off = j
		return
	}
	if j-digits > 1 && s[digits] == '0' {
		p.lexError(i, "invalid integer literal '"+shorten(s[i:j])+"': leading zeros are not allowed")
		return
	}
	p.tok = token{kind: tInt, pos: i, end: j}
	p.off = j
}

// lexString lexes a StringLiteral: '...' where only \' and \\ are escapes.
func (p *parser) lexString(i int) {
	s := p.src
	j := i + 1
	var b []byte // only allocated when there are escapes
	start := j
	for {
		k := strings.IndexAny(s[j:], `'\`)
		if k < 0 {
			p.lexError(i, "unterminated string literal")
			return
		}
		j += k
		if s[j] == '\'' {
			break
		}
		// a backslash
		if j+1 >= len(s) || (s[j+1] != '\'' && s[j+1] != '\\') {
			p.lexError(j, `invalid escape in string literal: only \' and \\ are allowed (write \\ for a backslash)`)
			return
		}
		b = append(b, s[start:j]...)
		b = append(b, s[j+1])
		j += 2
		start = j
	}
	str := s[start:j]
	if b != nil {
		str = string(append(b, str...))
	}
	p.tok = token{kind: tString, pos: i, end: j + 1, str: str}
	p.off = j + 1
}

// quoted returns the end of the quoted body that starts at i+2 (after a
// one-letter prefix and a quote), or -1 with an error recorded.
func (p *parser) quoted(i int, what string) int {
	k := strings.IndexByte(p.src[i+2:], '\'')
	if k < 0 {
		p.lexError(i, "unterminated "+what+" literal")
		return -1
	}
	return i + 2 + k
}

// lexHex lexes h'..' with an even number of hex digits (possibly none).
func (p *parser) lexHex(i int) {
	end := p.quoted(i, "hex")
	if end < 0 {
		return
	}
	body := p.src[i+2 : end]
	ok := len(body)%2 == 0
	for k := 0; ok && k < len(body); k++ {
		ok = isHexDigit(body[k])
	}
	if !ok {
		p.lexError(i, "invalid hex literal: want h'...' with pairs of hex digits")
		return
	}
	p.tok = token{kind: tHex, pos: i, end: end + 1}
	p.off = end + 1
}

// lexBinary lexes b'..': padded base64 of at least one byte.
func (p *parser) lexBinary(i int) {
	end := p.quoted(i, "binary")
	if end < 0 {
		return
	}
	body := p.src[i+2 : end]
	n := len(body)
	ok := n > 0 && n%4 == 0
	if ok {
		pad := 0
		if body[n-1] == '=' {
			pad++
			if body[n-2] == '=' {
				pad++
			}
		}
		for k := 0; ok && k < n-pad; k++ {
			ok = isBase64(body[k])
		}
	}
	if !ok {
		p.lexError(i, "invalid binary literal: want b'...' with padded base64 of at least one byte")
		return
	}
	p.tok = token{kind: tBinary, pos: i, end: end + 1}
	p.off = end + 1
}

// lexTimestamp lexes t'YYYY-MM-DDThh:mm:ss[.fraction]Z' with the digit
// ranges of the grammar. Calendar validity is a semantic check.
func (p *parser) lexTimestamp(i int) {
	end := p.quoted(i, "timestamp")
	if end < 0 {
		return
	}
	if !timestampShape(p.src[i+2 : end]) {
		p.lexError(i, "invalid timestamp literal: want t'YYYY-MM-DDThh:mm:ss[.fraction]Z' (UTC, upper-case T and Z)")
		return
	}
	p.tok = token{kind: tTimestamp, pos: i, end: end + 1}
	p.off = end + 1
}

// timestampShape checks the TimestampLiteral rule's body.
func timestampShape(b string) bool {
	if len(b) < 20 {
		return false
	}
	d := func(k int) bool { return isDigit(b[k]) }
	in := func(k int, lo, hi byte) bool { return lo <= b[k] && b[k] <= hi }
	if !(d(0) && d(1) && d(2) && d(3) && b[4] == '-' && b[7] == '-' && b[10] == 'T' &&
		b[13] == ':' && b[16] == ':') {
		return false
	}
	month := b[5] == '0' && in(6, '1', '9') || b[5] == '1' && in(6, '0', '2')
	day := b[8] == '0' && in(9, '1', '9') || in(8, '1', '2') && d(9) || b[8] == '3' && in(9, '0', '1')
	hour := in(11, '0', '1') && d(12) || b[11] == '2' && in(12, '0', '3')
	minute := in(14, '0', '5') && d(15)
	second := in(17, '0', '5') && d(18) || b[17] == '6' && b[18] == '0'
	if !(month && day && hour && minute && second) {
		return false
	}
	rest := b[19:]
	if rest == "Z" {
		return true
	}
	if len(rest) < 3 || rest[0] != '.' || rest[len(rest)-1] != 'Z' {
		return false
	}
	for k := 1; k < len(rest)-1; k++ {
		if !isDigit(rest[k]) {
			return false
		}
	}
	return true
}

// lexError records a lexical error at byte offset off.
func (p *parser) lexError(off int, msg string) {
	p.failAt(off, msg)
	p.tok = token{kind: tInvalid, pos: off, end: off}
}
