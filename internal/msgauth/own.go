package msgauth

import (
	"strings"

	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Range is a span of octets of a message, [Start, End).
type Range struct{ Start, End int64 }

// fieldName is the field this package writes and removes.
const fieldName = "Authentication-Results"

// ownResults returns the ranges of the Authentication-Results fields that
// claim the authserv-id id, in message order. RFC 8601 §5: a receiver
// MUST remove such fields that did not come from within its own trust
// boundary, as they would pass for its own results. A field counts as
// claiming id when its authserv-id read by the RFC's grammar (after any
// comments and white space) is id, or when a reader that ignores
// comments, taking the first word before the first ";", would see id:
// removing a foreign field does no harm, keeping a forged one would.
// Case does not matter, nor does a trailing dot, nor U-label versus
// A-label form.
func ownResults(fields []header.Field, id string) []Range {
	want := normalID(id)
	var out []Range
	for _, f := range fields {
		if !f.Is(fieldName) {
			continue
		}
		v := string(f.RawValue())
		if got, ok := authServID(v); ok && normalID(got) == want {
			out = append(out, Range{int64(f.Start), int64(f.End)})
		} else if normalID(naiveID(v)) == want {
			out = append(out, Range{int64(f.Start), int64(f.End)})
		}
	}
	return out
}

// normalID is an authserv-id in a form for comparison: lower case, no
// trailing dot, A-labels where it is a domain name.
func normalID(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if d, err := mailaddr.CanonicalDomain(s); err == nil {
		return d
	}
	return strings.ToLower(s)
}

// authServID returns the authserv-id of an Authentication-Results field
// value (RFC 8601 §2.2: authres-header-field = [CFWS] authserv-id ...;
// authserv-id = value = token / quoted-string), and false when the value
// does not start with one.
func authServID(v string) (string, bool) {
	p := parser{s: v}
	p.skipCFWS()
	if p.done() {
		return "", false
	}
	if p.peek() == '"' {
		return p.quotedString()
	}
	tok := p.token()
	return tok, tok != ""
}

// naiveID is the authserv-id as a reader that ignores comments would find
// it: the first white-space separated word of the text before the first
// ";", without quotes.
func naiveID(v string) string {
	before, _, _ := strings.Cut(v, ";")
	words := strings.Fields(before)
	if len(words) == 0 {
		return ""
	}
	return strings.Trim(words[0], `"`)
}

// parser reads the lexical tokens of RFC 5322 §3.2 and RFC 2045 §5.1
// from a field value.
type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }
func (p *parser) peek() byte { return p.s[p.i] }

// skipCFWS skips white space, line ends and comments (RFC 5322 §3.2.2:
// comments nest, and a quoted-pair escapes any character). An unclosed
// comment runs to the end.
func (p *parser) skipCFWS() {
	depth := 0
	for !p.done() {
		c := p.peek()
		switch {
		case c == '\\' && depth > 0:
			p.i += 2
			continue
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && !isWSP(c):
			return
		}
		p.i++
	}
	p.i = len(p.s)
}

// quotedString reads a quoted-string (RFC 5322 §3.2.4) and returns its
// content with quoted-pairs resolved and line ends removed; false when it
// is not closed.
func (p *parser) quotedString() (string, bool) {
	var b strings.Builder
	for p.i++; !p.done(); p.i++ {
		switch c := p.peek(); c {
		case '"':
			p.i++
			return b.String(), true
		case '\\':
			if p.i+1 < len(p.s) {
				p.i++
				b.WriteByte(p.s[p.i])
			}
		case '\r', '\n':
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// token reads a token (RFC 2045 §5.1): characters other than space,
// controls and tspecials. Octets over 127 are taken too (RFC 8616:
// UTF-8 in header values), so that a U-label authserv-id is read whole.
func (p *parser) token() string {
	start := p.i
	for !p.done() && isTokenChar(p.peek()) {
		p.i++
	}
	return p.s[start:p.i]
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isTokenChar reports a character of a token (RFC 2045 §5.1), or a UTF-8
// octet.
func isTokenChar(c byte) bool {
	return c > ' ' && c != 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}
