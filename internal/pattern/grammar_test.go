package pattern

import (
	"strings"
	"testing"
)

// The grammar tests: for every parser and lexer rule of STIXPattern.g4,
// patterns that parse (with their canonical form, or their tree where
// precedence matters) and patterns that fail (with the column and message).
// They use anyType, so only the syntax is under test; semantic checks have
// their own tests in semantic_test.go.

// Shorthands for observation expressions.
const (
	oA = "[x-t:a = 1]"
	oB = "[x-t:b = 2]"
	oC = "[x-t:c = 3]"
	oD = "[x-t:d = 4]"
)

type validCase struct {
	rule  string // the grammar rule under test
	in    string
	canon string // want p.String(); "" means in itself
	tree  string // want tree(p), when set
}

var validCases = []validCase{
	// pattern : observationExpressions EOF
	{rule: "pattern", in: oA},
	{rule: "pattern", in: "  \n" + oA + "\t ", canon: oA},

	// observationExpressions : ... FOLLOWEDBY ... | observationExpressionOr
	{rule: "observationExpressions", in: oA + " FOLLOWEDBY " + oB, tree: "FOLLOWEDBY(" + oA + ", " + oB + ")"},
	{rule: "observationExpressions", in: oA + " FOLLOWEDBY " + oB + " FOLLOWEDBY " + oC,
		tree: "FOLLOWEDBY(" + oA + ", " + oB + ", " + oC + ")"},
	{rule: "observationExpressions", in: oA + " OR " + oB + " FOLLOWEDBY " + oC + " AND " + oD,
		tree: "FOLLOWEDBY(OR(" + oA + ", " + oB + "), AND(" + oC + ", " + oD + "))"},
	{rule: "observationExpressions", in: oA + " FOLLOWEDBY (" + oB + " FOLLOWEDBY " + oC + ")",
		tree: "FOLLOWEDBY(" + oA + ", (FOLLOWEDBY(" + oB + ", " + oC + ")))"},

	// observationExpressionOr
	{rule: "observationExpressionOr", in: oA + " OR " + oB, tree: "OR(" + oA + ", " + oB + ")"},
	{rule: "observationExpressionOr", in: oA + " OR " + oB + " OR " + oC, tree: "OR(" + oA + ", " + oB + ", " + oC + ")"},
	{rule: "observationExpressionOr", in: oA + " AND " + oB + " OR " + oC, tree: "OR(AND(" + oA + ", " + oB + "), " + oC + ")"},
	{rule: "observationExpressionOr", in: oA + " OR " + oB + " AND " + oC, tree: "OR(" + oA + ", AND(" + oB + ", " + oC + "))"},

	// observationExpressionAnd
	{rule: "observationExpressionAnd", in: oA + " AND " + oB, tree: "AND(" + oA + ", " + oB + ")"},
	{rule: "observationExpressionAnd", in: oA + " AND " + oB + " AND " + oC, tree: "AND(" + oA + ", " + oB + ", " + oC + ")"},

	// observationExpression # observationExpressionSimple
	{rule: "observationExpressionSimple", in: "[x-t:a=1]", canon: oA},
	{rule: "observationExpressionSimple", in: "[ x-t:a = 1 ]", canon: oA},

	// # observationExpressionCompound
	{rule: "observationExpressionCompound", in: "(" + oA + ")", tree: "(" + oA + ")"},
	{rule: "observationExpressionCompound", in: "((" + oA + "))", tree: "((" + oA + "))"},
	{rule: "observationExpressionCompound", in: "(" + oA + " OR " + oB + ") AND " + oC,
		tree: "AND((OR(" + oA + ", " + oB + ")), " + oC + ")"},
	{rule: "observationExpressionCompound", in: "( " + oA + " )", canon: "(" + oA + ")"},

	// # observationExpressionStartStop / startStopQualifier
	{rule: "startStopQualifier", in: oA + " START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
		tree: "{" + oA + " START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'}"},
	{rule: "startStopQualifier", in: "(" + oA + " OR " + oB + ") START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'"},

	// # observationExpressionWithin / withinQualifier
	{rule: "withinQualifier", in: oA + " WITHIN 5 SECONDS", tree: "{" + oA + " WITHIN 5 SECONDS}"},
	{rule: "withinQualifier", in: oA + " WITHIN 2.5 SECONDS"},
	{rule: "withinQualifier", in: oA + " WITHIN +5 SECONDS", canon: oA + " WITHIN 5 SECONDS"},
	{rule: "withinQualifier", in: oA + " WITHIN .5 SECONDS", canon: oA + " WITHIN 0.5 SECONDS"},
	{rule: "withinQualifier", in: oA + " WITHIN 5.0 SECONDS"},
	{rule: "withinQualifier", in: oA + " WITHIN 5SECONDS", canon: oA + " WITHIN 5 SECONDS"},

	// # observationExpressionRepeated / repeatedQualifier
	{rule: "repeatedQualifier", in: oA + " REPEATS 3 TIMES", tree: "{" + oA + " REPEATS 3 TIMES}"},
	{rule: "repeatedQualifier", in: oA + " REPEATS +3 TIMES", canon: oA + " REPEATS 3 TIMES"},

	// Qualifiers bind tighter than AND, OR and FOLLOWEDBY, and stack.
	{rule: "observationExpression", in: oA + " AND " + oB + " WITHIN 5 SECONDS",
		tree: "AND(" + oA + ", {" + oB + " WITHIN 5 SECONDS})"},
	{rule: "observationExpression", in: oA + " WITHIN 5 SECONDS REPEATS 2 TIMES",
		tree: "{" + oA + " WITHIN 5 SECONDS REPEATS 2 TIMES}"},
	{rule: "observationExpression", in: "(" + oA + ") WITHIN 5 SECONDS WITHIN 6 SECONDS",
		tree: "{(" + oA + ") WITHIN 5 SECONDS WITHIN 6 SECONDS}"},
	{rule: "observationExpression", in: "((" + oA + ") REPEATS 2 TIMES) REPEATS 2 TIMES"},
	{rule: "observationExpression", in: "[x-t:a = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z' WITHIN 5 SECONDS REPEATS 2 TIMES"},

	// comparisonExpression : ... OR ... | comparisonExpressionAnd
	{rule: "comparisonExpression", in: "[x-t:a = 1 OR x-t:b = 2]", tree: "[OR(x-t:a = 1, x-t:b = 2)]"},
	{rule: "comparisonExpression", in: "[x-t:a = 1 AND x-t:b = 2 OR x-t:c = 3]", tree: "[OR(AND(x-t:a = 1, x-t:b = 2), x-t:c = 3)]"},
	{rule: "comparisonExpression", in: "[x-t:a = 1 OR x-t:b = 2 AND x-t:c = 3]", tree: "[OR(x-t:a = 1, AND(x-t:b = 2, x-t:c = 3))]"},
	{rule: "comparisonExpression", in: "[x-t:a = 1 OR x-t:b = 2 OR x-t:c = 3]", tree: "[OR(x-t:a = 1, x-t:b = 2, x-t:c = 3)]"},

	// comparisonExpressionAnd
	{rule: "comparisonExpressionAnd", in: "[x-t:a = 1 AND x-t:b = 2 AND x-t:c = 3]", tree: "[AND(x-t:a = 1, x-t:b = 2, x-t:c = 3)]"},

	// propTest # propTestEqual
	{rule: "propTestEqual", in: "[x-t:a = 'v']"},
	{rule: "propTestEqual", in: "[x-t:a == 'v']", canon: "[x-t:a = 'v']"},
	{rule: "propTestEqual", in: "[x-t:a != 'v']"},
	{rule: "propTestEqual", in: "[x-t:a <> 'v']", canon: "[x-t:a != 'v']"},
	{rule: "propTestEqual", in: "[x-t:a NOT = 'v']"},
	{rule: "propTestEqual", in: "[x-t:a NOT != 'v']"},
	{rule: "propTestEqual", in: "[x-t:a NOT<>'v']", canon: "[x-t:a NOT != 'v']"},
	{rule: "propTestEqual", in: "[x-t:a = true]"},
	{rule: "propTestEqual", in: "[x-t:a = false]"},
	{rule: "propTestEqual", in: "[x-t:a = b'QUJD']"},
	{rule: "propTestEqual", in: "[x-t:a = h'00ff']"},
	{rule: "propTestEqual", in: "[x-t:a = t'2016-06-01T00:00:00Z']"},
	{rule: "propTestEqual", in: "[x-t:a=-1]", canon: "[x-t:a = -1]"},

	// # propTestOrder
	{rule: "propTestOrder", in: "[x-t:a < 5]"},
	{rule: "propTestOrder", in: "[x-t:a <= 5.5]"},
	{rule: "propTestOrder", in: "[x-t:a > 'm']"},
	{rule: "propTestOrder", in: "[x-t:a >= t'2016-06-01T00:00:00Z']"},
	{rule: "propTestOrder", in: "[x-t:a NOT < h'10']"},
	{rule: "propTestOrder", in: "[x-t:a NOT >= b'QQ==']"},
	{rule: "propTestOrder", in: "[x-t:a<-1]", canon: "[x-t:a < -1]"},

	// # propTestSet / setLiteral
	{rule: "setLiteral", in: "[x-t:a IN ('a', 'b')]"},
	{rule: "setLiteral", in: "[x-t:a IN ('a')]"},
	{rule: "setLiteral", in: "[x-t:a IN ()]"},
	{rule: "setLiteral", in: "[x-t:a IN ( )]", canon: "[x-t:a IN ()]"},
	{rule: "setLiteral", in: "[x-t:a NOT IN (1,2,3)]", canon: "[x-t:a NOT IN (1, 2, 3)]"},
	{rule: "setLiteral", in: "[x-t:a IN (1, 2.5, -3)]"},
	{rule: "setLiteral", in: "[x-t:a IN (true, false)]"},
	{rule: "setLiteral", in: "[x-t:a IN (h'00', b'AA==')]"},
	{rule: "setLiteral", in: "[x-t:a IN (t'2016-06-01T00:00:00Z', t'2017-06-01T00:00:00Z')]"},
	{rule: "setLiteral", in: "[x-t:a IN(443,6443)]", canon: "[x-t:a IN (443, 6443)]"},

	// # propTestLike
	{rule: "propTestLike", in: "[x-t:a LIKE 'a%b_c']"},
	{rule: "propTestLike", in: "[x-t:a NOT LIKE '%']"},

	// # propTestRegex
	{rule: "propTestRegex", in: `[x-t:a MATCHES '^a.*\\d+$']`},
	{rule: "propTestRegex", in: "[x-t:a NOT MATCHES 'x']"},

	// # propTestIsSubset
	{rule: "propTestIsSubset", in: "[x-t:a ISSUBSET '198.51.100.0/24']"},
	{rule: "propTestIsSubset", in: "[x-t:a NOT ISSUBSET '2001:db8::/32']"},

	// # propTestIsSuperset
	{rule: "propTestIsSuperset", in: "[x-t:a ISSUPERSET '198.51.100.1']"},
	{rule: "propTestIsSuperset", in: "[x-t:a NOT ISSUPERSET '198.51.100.0/28']"},

	// # propTestParen
	{rule: "propTestParen", in: "[(x-t:a = 1)]", tree: "[(x-t:a = 1)]"},
	{rule: "propTestParen", in: "[(x-t:a = 1 OR x-t:b = 2) AND x-t:c = 3]", tree: "[AND((OR(x-t:a = 1, x-t:b = 2)), x-t:c = 3)]"},
	{rule: "propTestParen", in: "[((x-t:a = 1))]"},
	{rule: "propTestParen", in: "( [(x-t:a IN(443,6443,8443) AND x-t:b != 0) ])",
		canon: "([(x-t:a IN (443, 6443, 8443) AND x-t:b != 0)])"},

	// # propTestExists
	{rule: "propTestExists", in: "[EXISTS x-t:a]"},
	{rule: "propTestExists", in: "[NOT EXISTS x-t:a.b[*]]"},
	{rule: "propTestExists", in: "[EXISTS x-t:a AND NOT EXISTS x-t:b]", tree: "[AND(EXISTS x-t:a, NOT EXISTS x-t:b)]"},

	// objectPath, objectType
	{rule: "objectType", in: "[file:name = 'a']"},       // IdentifierWithoutHyphen
	{rule: "objectType", in: "[ipv4-addr:value = 'a']"}, // IdentifierWithHyphen
	{rule: "objectType", in: "[x_y1:a = 1]"},
	{rule: "objectType", in: "[x-:a = 1]"},
	{rule: "objectType", in: "[_:a = 1]"},

	// firstPathComponent
	{rule: "firstPathComponent", in: "[x-t:'a' = 1]", canon: "[x-t:a = 1]"},
	{rule: "firstPathComponent", in: "[x-t:'a-b' = 1]"},
	{rule: "firstPathComponent", in: "[x-t:'' = 1]"},
	{rule: "firstPathComponent", in: "[x-t:_a1 = 1]"},

	// objectPathComponent # keyPathStep
	{rule: "keyPathStep", in: "[x-t:a.b = 1]"},
	{rule: "keyPathStep", in: "[file:hashes.'SHA-256' LIKE 'a%']"},
	{rule: "keyPathStep", in: "[x-t:a.'b' = 1]", canon: "[x-t:a.b = 1]"},
	{rule: "keyPathStep", in: "[x-t:a.'AND'.'true'.'LAST' = 1]"},
	{rule: "keyPathStep", in: `[x-t:a.'it\'s'.'back\\slash' = 1]`},
	{rule: "keyPathStep", in: "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]"},

	// # indexPathStep
	{rule: "indexPathStep", in: "[x-t:a[0] = 1]"},
	{rule: "indexPathStep", in: "[x-t:a[*] = 1]"},
	{rule: "indexPathStep", in: "[x-t:a[+1] = 1]", canon: "[x-t:a[1] = 1]"},
	{rule: "indexPathStep", in: "[x-t:a[-1] = 1]"},
	{rule: "indexPathStep", in: "[x-t:a[ 2 ] = 1]", canon: "[x-t:a[2] = 1]"},

	// # pathStep (components in sequence, white space between them)
	{rule: "pathStep", in: "[x-t:a[*].b[0].'c d'[*][1] = 1]"},
	{rule: "pathStep", in: "[ x-t : a . b [ 0 ] = 1 ]", canon: "[x-t:a.b[0] = 1]"},
	{rule: "pathStep", in: "[email-message:body_multipart[*].body_raw_ref.name = 'a']"},

	// primitiveLiteral, orderableLiteral and the literal lexer rules
	{rule: "IntPosLiteral", in: "[x-t:a = 0]"},
	{rule: "IntPosLiteral", in: "[x-t:a = +0]", canon: "[x-t:a = 0]"},
	{rule: "IntPosLiteral", in: "[x-t:a = 42]"},
	{rule: "IntPosLiteral", in: "[x-t:a = +42]", canon: "[x-t:a = 42]"},
	{rule: "IntPosLiteral", in: "[x-t:a = 9223372036854775807]"},
	{rule: "IntNegLiteral", in: "[x-t:a = -7]"},
	{rule: "IntNegLiteral", in: "[x-t:a = -0]", canon: "[x-t:a = 0]"},
	{rule: "IntNegLiteral", in: "[x-t:a = -9223372036854775808]"},
	{rule: "FloatPosLiteral", in: "[x-t:a = 1.5]"},
	{rule: "FloatPosLiteral", in: "[x-t:a = .5]", canon: "[x-t:a = 0.5]"},
	{rule: "FloatPosLiteral", in: "[x-t:a = +.5]", canon: "[x-t:a = 0.5]"},
	{rule: "FloatPosLiteral", in: "[x-t:a = 007.50]", canon: "[x-t:a = 7.5]"},
	{rule: "FloatPosLiteral", in: "[x-t:a = 1.0]"},
	{rule: "FloatNegLiteral", in: "[x-t:a = -1.25]"},
	{rule: "FloatNegLiteral", in: "[x-t:a = -.5]", canon: "[x-t:a = -0.5]"},
	{rule: "HexLiteral", in: "[x-t:a = h'0A1b']", canon: "[x-t:a = h'0a1b']"},
	{rule: "HexLiteral", in: "[x-t:a = h'']"},
	{rule: "BinaryLiteral", in: "[x-t:a = b'QUJD']"},
	{rule: "BinaryLiteral", in: "[x-t:a = b'QUI=']"},
	{rule: "BinaryLiteral", in: "[x-t:a = b'QQ==']"},
	{rule: "BinaryLiteral", in: "[x-t:a = b'QUJDRA==']"},
	{rule: "BinaryLiteral", in: "[x-t:a = b'+/+/']"},
	{rule: "StringLiteral", in: "[x-t:a = '']"},
	{rule: "StringLiteral", in: `[x-t:a = 'it\'s']`},
	{rule: "StringLiteral", in: `[x-t:a = 'C:\\Windows\\']`},
	{rule: "StringLiteral", in: "[x-t:a = 'two\nlines']"},
	{rule: "StringLiteral", in: "[x-t:a = 'café ☕ \"quoted\" /* not a comment */']"},
	{rule: "BoolLiteral", in: "[x-t:a = true OR x-t:b != false]"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'2016-06-01T01:30:00Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'2016-06-01T01:30:00.123Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'2016-06-01T01:30:00.120Z']", canon: "[x-t:a = t'2016-06-01T01:30:00.12Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'2016-06-01T01:30:00.000Z']", canon: "[x-t:a = t'2016-06-01T01:30:00Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'2016-06-01T01:30:00.123456789123Z']", canon: "[x-t:a = t'2016-06-01T01:30:00.123456789Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'0000-01-01T00:00:00Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'9999-12-31T23:59:59.999999999Z']"},
	{rule: "TimestampLiteral", in: "[x-t:a = t'2016-12-31T23:59:60Z']", canon: "[x-t:a = t'2017-01-01T00:00:00Z']"},

	// Keywords as (quoted) names, identifiers that merely contain keywords.
	{rule: "keywords", in: "[x-t:ANDx = 1 AND x-t:xOR = 2 AND x-t:NOTE = 3]"},
	{rule: "keywords", in: "[x-t:and = 1]"},
	{rule: "keywords", in: "[x-t:True = 1]"},
	{rule: "keywords", in: "[x-t:'IN' IN ('IN')]"},

	// Comments and white space are skipped between any two tokens.
	{rule: "COMMENT", in: "/* lead */[x-t:a /* in */ = 1]/* trail */", canon: oA},
	{rule: "COMMENT", in: "[x-t:a = 1 /* multi\nline * / ** */]", canon: oA},
	{rule: "COMMENT", in: "[x-t:a = 1/**/]", canon: oA},
	{rule: "LINE_COMMENT", in: "[x-t:a = 1] // trailing", canon: oA},
	{rule: "LINE_COMMENT", in: "[x-t:a = 1 // to the end of the line\n]", canon: oA},
	{rule: "LINE_COMMENT", in: "[x-t:a = 1 // carriage return\r]", canon: oA},
	{rule: "LINE_COMMENT", in: "// leading\n[x-t:a = 1]", canon: oA},
}

func init() {
	// WS: every white-space character of the grammar, between tokens.
	for _, ws := range []string{" ", "\t", "\r", "\n", "\v", "\f", "\u0085", "\u00a0", "\u1680",
		"\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008",
		"\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"} {
		validCases = append(validCases, validCase{rule: "WS", in: ws + "[x-t:a" + ws + "=" + ws + "1]" + ws, canon: oA})
	}
}

func TestGrammarValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.rule, func(t *testing.T) {
			p, err := ParseWithOptions(tc.in, anyType)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			want := tc.canon
			if want == "" {
				want = tc.in
			}
			if got := p.String(); got != want {
				t.Errorf("Parse(%q).String()\n got %q\nwant %q", tc.in, got, want)
			}
			if tc.tree != "" {
				if got := tree(p); got != tc.tree {
					t.Errorf("tree(%q)\n got %s\nwant %s", tc.in, got, tc.tree)
				}
			}
			checkRoundTrip(t, p, anyType)
		})
	}
}

type invalidCase struct {
	rule string
	in   string
	at   string // the error column is where this first occurs in in; "$" = end
	msg  string // a substring of the error text
}

var invalidCases = []invalidCase{
	// pattern
	{"pattern", "", "$", "expected '[' or '(', found end of pattern"},
	{"pattern", "   ", "$", "expected '[' or '('"},
	{"pattern", "x-t:a = 1", "x-t", "expected '[' or '(', found 'x-t'"},
	{"pattern", oA + " [x-t:b = 2]", "[x-t:b", "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found '['"},
	{"pattern", oA + "]", "last:]", "found ']'"},
	{"pattern", "/* only a comment */", "$", "expected '[' or '('"},

	// observationExpressions
	{"observationExpressions", oA + " FOLLOWEDBY", "$", "expected '[' or '('"},
	{"observationExpressions", "FOLLOWEDBY " + oA, "FOLLOWEDBY", "found 'FOLLOWEDBY'"},
	{"observationExpressions", oA + " FOLLOWEDBY FOLLOWEDBY " + oB, "FOLLOWEDBY [", "found 'FOLLOWEDBY'"},
	{"observationExpressions", oA + " followedby " + oB, "followedby", "keywords are upper case: FOLLOWEDBY"},

	// observationExpressionOr
	{"observationExpressionOr", oA + " OR", "$", "expected '[' or '('"},
	{"observationExpressionOr", "OR " + oA, "OR", "found 'OR'"},
	{"observationExpressionOr", oA + " OR OR " + oB, "OR [", "found 'OR'"},

	// observationExpressionAnd
	{"observationExpressionAnd", oA + " AND", "$", "expected '[' or '('"},
	{"observationExpressionAnd", oA + " and " + oB, "and", "found 'and' (keywords are upper case: AND)"},
	{"observationExpressionAnd", oA + " AND AND " + oB, "AND [", "found 'AND'"},

	// observationExpressionSimple
	{"observationExpressionSimple", "[]", "]", "expected a comparison: an object path, EXISTS or '(', found ']'"},
	{"observationExpressionSimple", "[x-t:a = 1", "$", "expected AND, OR or ']', found end of pattern"},
	{"observationExpressionSimple", "[x-t:a = 1)", ")", "expected AND, OR or ']', found ')'"},
	{"observationExpressionSimple", "[[x-t:a = 1]]", "[x-t", "expected a comparison"},
	{"observationExpressionSimple", "[x-t:a = 1 FOLLOWEDBY x-t:b = 1]", "FOLLOWEDBY", "expected AND, OR or ']', found 'FOLLOWEDBY'"},

	// observationExpressionCompound
	{"observationExpressionCompound", "()", ")", "expected '[' or '(', found ')'"},
	{"observationExpressionCompound", "(" + oA, "$", "expected AND, OR, FOLLOWEDBY, a qualifier or ')'"},
	{"observationExpressionCompound", "(" + oA + "]", "last:]", "found ']'"},
	{"observationExpressionCompound", "(x-t:a = 1)", "x-t", "expected '[' or '('"},

	// startStopQualifier
	{"startStopQualifier", oA + " START t'2016-06-01T00:00:00Z'", "$", "expected STOP"},
	{"startStopQualifier", oA + " START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'", "'2016-06", "expected a timestamp t'...' after START"},
	{"startStopQualifier", oA + " START t'2016-06-01T00:00:00Z' STOP", "$", "expected a timestamp t'...' after STOP"},
	{"startStopQualifier", oA + " START t'2016-06-01T00:00:00Z' STOP 5", "5", "after STOP, found '5'"},
	{"startStopQualifier", oA + " STOP t'2016-07-01T00:00:00Z'", "STOP", "found 'STOP'"},
	{"startStopQualifier", oA + " START t'2016-06-01T00:00:00Z' AND t'2016-07-01T00:00:00Z'", "AND", "expected STOP, found 'AND'"},

	// withinQualifier
	{"withinQualifier", oA + " WITHIN SECONDS", "SECONDS", "expected a positive number of seconds, found 'SECONDS'"},
	{"withinQualifier", oA + " WITHIN 5", "$", "expected SECONDS, found end of pattern"},
	{"withinQualifier", oA + " WITHIN 5 HOURS", "HOURS", "expected SECONDS, found 'HOURS'"},
	{"withinQualifier", oA + " WITHIN 5 seconds", "seconds", "keywords are upper case: SECONDS"},
	{"withinQualifier", oA + " WITHIN -5 SECONDS", "-5", "expected a positive number of seconds, found '-5'"},
	{"withinQualifier", oA + " WITHIN -.5 SECONDS", "-.5", "found '-.5'"},
	{"withinQualifier", oA + " WITHIN '5' SECONDS", "'5'", "found ''5''"},
	{"withinQualifier", oA + " within 5 SECONDS", "within", "keywords are upper case: WITHIN"},

	// repeatedQualifier
	{"repeatedQualifier", oA + " REPEATS 2.5 TIMES", "2.5", "expected a positive integer, found '2.5'"},
	{"repeatedQualifier", oA + " REPEATS -1 TIMES", "-1", "expected a positive integer"},
	{"repeatedQualifier", oA + " REPEATS 2", "$", "expected TIMES"},
	{"repeatedQualifier", oA + " REPEATS TIMES", "TIMES", "expected a positive integer, found 'TIMES'"},
	{"repeatedQualifier", oA + " REPEATS 2 SECONDS", "SECONDS", "expected TIMES, found 'SECONDS'"},

	// comparisonExpression
	{"comparisonExpression", "[x-t:a = 1 OR]", "]", "expected a comparison"},
	{"comparisonExpression", "[OR x-t:a = 1]", "OR", "expected a comparison: an object path, EXISTS or '(', found 'OR'"},
	{"comparisonExpression", "[x-t:a = 1 OR OR x-t:b = 1]", "OR x-t", "found 'OR'"},
	{"comparisonExpression", "[x-t:a = 1 or x-t:b = 1]", "or", "keywords are upper case: OR"},

	// comparisonExpressionAnd
	{"comparisonExpressionAnd", "[x-t:a = 1 AND]", "]", "expected a comparison"},
	{"comparisonExpressionAnd", "[x-t:a = 1 AND AND x-t:b = 1]", "AND x-t", "found 'AND'"},

	// propTestEqual
	{"propTestEqual", "[x-t:a =]", "]", "expected a literal value, found ']'"},
	{"propTestEqual", "[x-t:a = x-t:b]", "x-t:b", "expected a literal value, found 'x-t'"},
	{"propTestEqual", "[x-t:a = = 1]", "= 1", "expected a literal value, found '='"},
	{"propTestEqual", "[x-t:a === 1]", "= 1", "found '='"},
	{"propTestEqual", "[x-t:a ! = 1]", "!", "unexpected character '!'"},
	{"propTestEqual", "[x-t:a = 1 2]", "2", "expected AND, OR or ']', found '2'"},
	{"propTestEqual", "[x-t:a NOT NOT = 1]", "NOT =", "expected a comparison operator after NOT, found 'NOT'"},
	{"propTestEqual", "[x-t:a = NOT 1]", "NOT", "expected a literal value, found 'NOT'"},
	{"propTestEqual", "[x-t:a 1]", "1", "expected a comparison operator, found '1'"},
	{"propTestEqual", "[x-t:a]", "]", "expected a comparison operator, found ']'"},
	{"propTestEqual", "[NOT x-t:a = 1]", "x-t", "expected EXISTS, found 'x-t' (NOT before an object path only negates EXISTS"},
	{"propTestEqual", "[x-t:a = cead3f77f6cda6ec00f57d76c9a6879f]", "cead", "expected a literal value, found 'cead3f77f6cda6ec00f57d76c9a6879f'"},
	{"propTestEqual", "[x-t:a =? 'a']", "?", "unexpected character '?'"},

	// propTestOrder
	{"propTestOrder", "[x-t:a < true]", "true", "expected a number, string, binary, hex or timestamp literal, found 'true' (booleans are not ordered)"},
	{"propTestOrder", "[x-t:a <]", "]", "expected a number, string, binary, hex or timestamp literal, found ']'"},
	{"propTestOrder", "[x-t:a => 1]", ">", "expected a literal value, found '>'"},
	{"propTestOrder", "[x-t:a =< 1]", "<", "found '<'"},
	{"propTestOrder", "[x-t:a < = 1]", "= 1", "found '='"},

	// propTestSet / setLiteral
	{"setLiteral", "[x-t:a IN 'a']", "'a'", "expected '(' to start the IN set, found ''a''"},
	{"setLiteral", "[x-t:a IN ('a',)]", ")]", "expected a literal value, found ')'"},
	{"setLiteral", "[x-t:a IN ('a' 'b')]", "'b'", "expected ',' or ')', found ''b''"},
	{"setLiteral", "[x-t:a IN ('a'", "$", "expected ',' or ')', found end of pattern"},
	{"setLiteral", "[x-t:a IN (x-t:b)]", "x-t:b", "expected a literal value"},
	{"setLiteral", "[x-t:a IN ((1))]", "(1", "expected a literal value, found '('"},
	{"setLiteral", "[x-t:a IN (,)]", ",", "expected a literal value, found ','"},
	{"setLiteral", "[x-t:a IN]", "]", "expected '(' to start the IN set"},

	// propTestLike
	{"propTestLike", "[x-t:a LIKE 5]", "5", "expected a string literal after LIKE, found '5'"},
	{"propTestLike", "[x-t:a LIKE]", "]", "expected a string literal after LIKE"},
	{"propTestLike", "[x-t:a LIKE b'QQ==']", "b'", "expected a string literal after LIKE, found 'b'QQ==''"},

	// propTestRegex
	{"propTestRegex", "[x-t:a MATCHES /.*\\.dll/]", "/", "expected a string literal after MATCHES, found '/'"},
	{"propTestRegex", "[x-t:a NOT MATCHES]", "]", "after MATCHES"},

	// propTestIsSubset
	{"propTestIsSubset", "[x-t:a ISSUBSET ]", "]", "expected a string literal after ISSUBSET, found ']'"},
	{"propTestIsSubset", "[x-t:a ISSUBSET 10]", "10", "after ISSUBSET, found '10'"},

	// propTestIsSuperset
	{"propTestIsSuperset", "[x-t:a ISSUPERSET ('1.2.3.4')]", "(", "expected a string literal after ISSUPERSET, found '('"},

	// propTestParen
	{"propTestParen", "[(x-t:a = 1]", "]", "expected AND, OR or ')', found ']'"},
	{"propTestParen", "[()]", ")", "expected a comparison"},
	{"propTestParen", "[NOT (x-t:a = 1)]", "(", "expected EXISTS, found '('"},
	{"propTestParen", "[x-t:a = 1)]", ")", "expected AND, OR or ']', found ')'"},

	// propTestExists
	{"propTestExists", "[EXISTS]", "]", "expected an object path such as ipv4-addr:value, found ']'"},
	{"propTestExists", "[EXISTS 'a']", "'a'", "expected an object path"},
	{"propTestExists", "[x-t:a EXISTS]", "EXISTS", "expected a comparison operator, found 'EXISTS'"},
	{"propTestExists", "[NOT]", "]", "expected EXISTS, found ']'"},
	{"propTestExists", "[EXISTS x-t:a = 1]", "=", "expected AND, OR or ']', found '='"},
	{"propTestExists", "[exists x-t:a]", "exists", "keywords are upper case: EXISTS"},

	// objectPath
	{"objectPath", "[x-t = 1]", "=", "expected ':' after the object type, found '='"},
	{"objectPath", "[file.size = 1280]", ".", "expected ':' after the object type, found '.'"},
	{"objectPath", "[x-t: = 1]", "=", "expected a property name, found '='"},
	{"objectPath", "[:a = 1]", ":", "expected a comparison: an object path, EXISTS or '(', found ':'"},
	{"objectPath", "[x-t::a = 1]", ":a", "expected a property name, found ':'"},

	// objectType
	{"objectType", "['file':name = 1]", "'file'", "expected a comparison"},
	{"objectType", "[1:a = 1]", "1", "expected a comparison"},
	{"objectType", "[AND:a = 1]", "AND", "found 'AND'"},
	{"objectType", "[-t:a = 1]", "-", "found '-'"},

	// firstPathComponent
	{"firstPathComponent", "[x-t:a-b = 1]", "a-b", "expected a property name, found 'a-b' (quote property names that contain '-'"},
	{"firstPathComponent", "[x-t:1 = 1]", "1 =", "expected a property name, found '1'"},
	{"firstPathComponent", "[x-t:[0] = 1]", "[0", "expected a property name, found '['"},
	{"firstPathComponent", "[x-t:AND = 1]", "AND", "(quote property names that are keywords)"},
	{"firstPathComponent", "[x-t:true = 1]", "true", "quote property names that are keywords"},
	{"firstPathComponent", "[x-t:LAST = 1]", "LAST", "found 'LAST' (quote property names that are keywords)"},

	// keyPathStep
	{"keyPathStep", "[x-t:a. = 1]", "=", "expected a property name after '.', found '='"},
	{"keyPathStep", "[x-t:a.b-c = 1]", "b-c", "quote property names that contain '-'"},
	{"keyPathStep", "[x-t:a..b = 1]", ".b", "expected a property name after '.', found '.'"},
	{"keyPathStep", "[x-t:a.5 = 1]", ".5", "expected a comparison operator, found '.5'"},
	{"keyPathStep", "[x-t:a.IN = 1]", "IN", "quote property names that are keywords"},
	{"keyPathStep", "[x-t:a.[0] = 1]", "[0", "expected a property name after '.'"},

	// indexPathStep
	{"indexPathStep", "[x-t:a[] = 1]", "]", "expected a list index or '*', found ']'"},
	{"indexPathStep", "[x-t:a[1.5] = 1]", "1.5", "expected a list index or '*', found '1.5'"},
	{"indexPathStep", "[x-t:a['x'] = 1]", "'x'", "expected a list index or '*'"},
	{"indexPathStep", "[x-t:a[1 = 1]", "=", "expected ']', found '='"},
	{"indexPathStep", "[x-t:a[01] = 1]", "01", "invalid integer literal '01': leading zeros are not allowed"},
	{"indexPathStep", "[x-t:a[**] = 1]", "*]", "expected ']', found '*'"},

	// IntPosLiteral / IntNegLiteral
	{"IntPosLiteral", "[x-t:a = 01]", "01", "leading zeros are not allowed"},
	{"IntPosLiteral", "[x-t:a = 1-2]", "-2", "expected AND, OR or ']', found '-2'"},
	{"IntPosLiteral", "[x-t:a = + 1]", "+", "expected a literal value, found '+'"},
	{"IntNegLiteral", "[x-t:a = -]", "last:-", "expected a literal value, found '-'"},
	{"IntNegLiteral", "[x-t:a = -007]", "-007", "leading zeros are not allowed"},
	{"IntNegLiteral", "[x-t:a = --1]", "--1", "found '-'"},

	// FloatPosLiteral / FloatNegLiteral
	{"FloatPosLiteral", "[x-t:a = 1.]", ".", "expected AND, OR or ']', found '.'"},
	{"FloatPosLiteral", "[x-t:a = 1e5]", "e5", "found 'e5'"},
	{"FloatPosLiteral", "[x-t:a = 1.5.5]", ".5]", "found '.5'"},
	{"FloatNegLiteral", "[x-t:a = -.]", "last:-", "found '-'"},

	// HexLiteral
	{"HexLiteral", "[x-t:a = h'abc']", "h'", "invalid hex literal"},
	{"HexLiteral", "[x-t:a = h'zz']", "h'", "invalid hex literal"},
	{"HexLiteral", "[x-t:a = h'ab]", "h'", "unterminated hex literal"},
	{"HexLiteral", "[x-t:a = H'ab']", "H'", "expected a literal value, found 'H'"},
	{"HexLiteral", "[x-t:a = h 'ab']", "h ", "expected a literal value, found 'h'"},

	// BinaryLiteral
	{"BinaryLiteral", "[x-t:a = b'']", "b'", "invalid binary literal"},
	{"BinaryLiteral", "[x-t:a = b'QQ']", "b'", "invalid binary literal: want b'...' with padded base64"},
	{"BinaryLiteral", "[artifact:payload_bin = b'====']", "b'", "invalid binary literal"},
	{"BinaryLiteral", "[x-t:a = b'Q=Q=']", "b'", "invalid binary literal"},
	{"BinaryLiteral", "[x-t:a = b'QQ=a']", "b'", "invalid binary literal"},
	{"BinaryLiteral", "[x-t:a = b'Q===']", "b'", "invalid binary literal"},
	{"BinaryLiteral", "[x-t:a = b'QQ-_']", "b'", "invalid binary literal"},
	{"BinaryLiteral", "[x-t:a = b'QQ==", "b'", "unterminated binary literal"},

	// StringLiteral
	{"StringLiteral", "[x-t:a = 'abc]", "'abc", "unterminated string literal"},
	{"StringLiteral", `[x-t:a = 'a\d']`, `\d`, `invalid escape in string literal: only \' and \\ are allowed`},
	{"StringLiteral", `[x-t:a = 'a\']`, "'a", "unterminated string literal"},
	{"StringLiteral", `[x-t:a = 'a\`, `\`, "invalid escape"},
	{"StringLiteral", `[x-t:a = "abc"]`, `"`, `unexpected character '"'`},
	{"StringLiteral", "[x-t:a = 'a''b']", "'b'", "expected AND, OR or ']', found ''b''"},

	// BoolLiteral
	{"BoolLiteral", "[x-t:a = TRUE]", "TRUE", "expected a literal value, found 'TRUE'"},
	{"BoolLiteral", "[x-t:a = True]", "True", "found 'True'"},

	// TimestampLiteral
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T00:00:00']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01 00:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-13-01T00:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-00-01T00:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-00T00:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-32T00:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T24:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T00:60:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T00:00:61Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T00:00:00+01:00']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01t00:00:00z']", "t'", "(UTC, upper-case T and Z)"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T00:00:00.Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'16-06-01T00:00:00Z']", "t'", "invalid timestamp literal"},
	{"TimestampLiteral", "[x-t:a = t'2016-06-01T00:00:00Z]", "t'", "unterminated timestamp literal"},
	{"TimestampLiteral", "[x-t:a = T'2016-06-01T00:00:00Z']", "T'", "expected a literal value, found 'T'"},
	{"TimestampLiteral", "[x-t:a = t'']", "t'", "invalid timestamp literal"},

	// Tokens the lexer knows but no parser rule uses.
	{"POWER_OP", oA + " ^ " + oB, "^", "found '^'"},
	{"DIVIDE", "[x-t:a / 1]", "/", "expected a comparison operator, found '/'"},
	{"ASTERISK", oA + " * 2", "*", "found '*'"},
	{"PLUS", "[x-t:a + 1]", "+", "expected a comparison operator, found '+'"},
	{"MINUS", "[x-t:a - 1]", "- ", "found '-'"},
	{"COMMA", "[x-t:a = 1, x-t:b = 2]", ",", "found ','"},
	{"COLON", "[x-t:a:b = 1]", ":b", "expected a comparison operator, found ':'"},

	// COMMENT
	{"COMMENT", oA + " /* unterminated", "/*", "unterminated comment"},
	{"COMMENT", oA + " / * x */", "/ *", "found '/'"},

	// InvalidCharacter
	{"InvalidCharacter", oA + " ;", ";", "unexpected character ';'"},
	{"InvalidCharacter", "[x-t:a = 1] #", "#", "unexpected character '#'"},
	{"InvalidCharacter", "[x-t:a = 1]\u200b", "\u200b", "unexpected character U+200B"},
	{"InvalidCharacter", "\ufeff[x-t:a = 1]", "\ufeff", "unexpected character U+FEFF"},
	{"InvalidCharacter", "[x-t:a = 1]\x00", "\x00", "unexpected character U+0000"},
	{"InvalidCharacter", "[x-t:é = 1]", "é", "unexpected character 'é'"},
	{"InvalidCharacter", "[x-t:a = 1]\xff", "\xff", "invalid UTF-8"},
	{"InvalidCharacter", "[x-t:a = 'caf\xc3']", "\xc3", "invalid UTF-8"},
	{"InvalidCharacter", "[x-t:a = 'é'] \x80", "\x80", "invalid UTF-8"},
}

func TestGrammarInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.rule, func(t *testing.T) {
			p, err := ParseWithOptions(tc.in, anyType)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tc.in, p)
			}
			if p != nil {
				t.Fatalf("Parse(%q) returned a pattern with its error", tc.in)
			}
			wantError(t, tc.in, err, tc.at, tc.msg)
		})
	}
}

// TestEveryRuleCovered checks that the tables above name every parser and
// lexer rule of STIXPattern.g4, valid and invalid where the rule can be
// broken.
func TestEveryRuleCovered(t *testing.T) {
	valid := map[string]bool{}
	for _, tc := range validCases {
		valid[tc.rule] = true
	}
	invalid := map[string]bool{}
	for _, tc := range invalidCases {
		invalid[tc.rule] = true
	}
	both := []string{
		"pattern", "observationExpressions", "observationExpressionOr", "observationExpressionAnd",
		"observationExpressionSimple", "observationExpressionCompound", "startStopQualifier",
		"withinQualifier", "repeatedQualifier", "comparisonExpression", "comparisonExpressionAnd",
		"propTestEqual", "propTestOrder", "setLiteral", "propTestLike", "propTestRegex",
		"propTestIsSubset", "propTestIsSuperset", "propTestParen", "propTestExists",
		"objectType", "firstPathComponent", "keyPathStep", "indexPathStep",
		"IntPosLiteral", "IntNegLiteral", "FloatPosLiteral", "FloatNegLiteral", "HexLiteral",
		"BinaryLiteral", "StringLiteral", "BoolLiteral", "TimestampLiteral", "COMMENT",
	}
	for _, r := range both {
		if !valid[r] || !invalid[r] {
			t.Errorf("rule %s: valid case %v, invalid case %v", r, valid[r], invalid[r])
		}
	}
	for _, r := range []string{"pathStep", "LINE_COMMENT", "WS", "keywords", "observationExpression"} {
		if !valid[r] {
			t.Errorf("rule %s has no valid case", r)
		}
	}
	for _, r := range []string{"objectPath", "POWER_OP", "DIVIDE", "ASTERISK", "PLUS", "MINUS", "COMMA", "COLON", "InvalidCharacter"} {
		if !invalid[r] {
			t.Errorf("rule %s has no invalid case", r)
		}
	}
}

// TestKeywordsAreTokens checks that every keyword of the grammar is lexed as
// a keyword, so it cannot be an unquoted property name.
func TestKeywordsAreTokens(t *testing.T) {
	for _, kw := range []string{"AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET",
		"ISSUBSET", "EXISTS", "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES",
		"true", "false"} {
		in := "[x-t:a." + kw + " = 1]"
		_, err := ParseWithOptions(in, anyType)
		wantError(t, in, err, kw, "quote property names that are keywords")
		quoted := "[x-t:a.'" + kw + "' = 1]"
		p, err := ParseWithOptions(quoted, anyType)
		if err != nil {
			t.Fatalf("Parse(%q): %v", quoted, err)
		}
		if p.String() != quoted {
			t.Errorf("Parse(%q).String() = %q", quoted, p.String())
		}
		if strings.ToLower(kw) != kw { // lower-case forms are identifiers
			lower := "[x-t:a." + strings.ToLower(kw) + " = 1]"
			if _, err := ParseWithOptions(lower, anyType); err != nil {
				t.Errorf("Parse(%q): %v", lower, err)
			}
		}
	}
}
