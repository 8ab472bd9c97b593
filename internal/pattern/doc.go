// Package pattern parses, checks and evaluates STIX 2.1 patterns, the
// language of an indicator whose pattern_type is "stix", e.g.
//
//	[ipv4-addr:value = '198.51.100.1'] OR [file:hashes.'SHA-256' = 'ef53...']
//
// Parse accepts exactly the grammar of the OASIS STIXPattern.g4
// (testdata/stix/STIXPattern.g4 at the repository root): observation
// expressions joined by AND, OR and FOLLOWEDBY, comparison expressions in
// [ ] joined by AND and OR, every operator and its NOT form, the WITHIN,
// START/STOP and REPEATS qualifiers, object paths with quoted components
// and list steps, and all literal kinds. It then checks the pattern's
// meaning (see ParseWithOptions). Errors are *Error values that give the
// column, in runes, of the first problem.
//
// The parser is a hand-written recursive descent over an on-demand lexer:
// one pass, linear time, no backtracking, one allocation for a typical
// pattern. Patterns longer than MaxLength or nested deeper than MaxDepth are
// refused, and MATCHES operands are bounded in size (MaxRegexLength) and in
// the estimated cost of checking them, so hostile input costs bounded time
// and stack: a few milliseconds at worst for a 64 KiB pattern.
//
// Pattern.String renders a canonical form that parses back to an equal
// pattern; Pattern.Comparisons lists the comparisons for observable
// extraction; Pattern.Match evaluates the pattern against observations.
//
// # Regular expressions
//
// MATCHES operands are Go regular expressions (RE2, package regexp/syntax),
// not PCRE as the STIX specification says. Most PCRE that threat feeds use
// is the same in both; the differences are:
//   - no backreferences (\1), lookahead or lookbehind ((?=...), (?<=...)),
//     atomic groups, possessive quantifiers, recursion or conditionals: Parse
//     rejects them, so a pattern the hub accepts is never evaluated wrongly;
//   - $ matches only at the very end of the text, where PCRE also matches
//     before a final newline (use \n?$ for PCRE's behaviour);
//   - \Z is not supported (use \z); \h, \R and \K are not supported;
//   - \s does not match the vertical tab \v;
//   - repetition counts are limited to 1000;
//   - matching is on UTF-8 text (code points), not bytes, except on binary
//     properties where each byte is one code point.
//
// RE2 guarantees linear-time matching, which PCRE does not: a member cannot
// send a regular expression that stalls the hub.
//
// Remember that a STIX string literal has its own escapes: only \' and \\
// are allowed, so the regular expression \d+ is written '\\d+'.
package pattern
