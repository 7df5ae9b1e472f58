package msgmeta

import "strings"

// lexer reads the tokens of structured header fields: atoms, quoted strings
// and comments (RFC 5322 §3.2, RFC 2045 §5.1). It is lenient: an unclosed
// quoted string or comment ends at the end of the input.
type lexer struct {
	s string
	i int
}

// Stop sets for token: RFC 2045 §5.1 tspecials, and the RFC 5322 §3.2.3
// specials that end an atom in an address ('.' is kept in atoms: obs-phrase
// and dot-atom).
const (
	mimeSpecials = "()<>@,;:\\\"/[]?="
	addrSpecials = "()<>[]:;@,\""
)

func (l *lexer) eof() bool { return l.i >= len(l.s) }

// peek returns the next byte, or -1 at the end.
func (l *lexer) peek() int {
	if l.eof() {
		return -1
	}
	return int(l.s[l.i])
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// skipCFWS skips white space and comments (RFC 5322 §3.2.2) and returns the
// text of the last comment skipped, if any.
func (l *lexer) skipCFWS() string {
	var last string
	for !l.eof() {
		switch c := l.s[l.i]; {
		case isWSP(c):
			l.i++
		case c == '(':
			last = l.comment()
		default:
			return last
		}
	}
	return last
}

// skipWSP skips white space only and reports whether there was some.
func (l *lexer) skipWSP() bool {
	start := l.i
	for !l.eof() && isWSP(l.s[l.i]) {
		l.i++
	}
	return l.i > start
}

// comment reads the (possibly nested) comment at l.i, which is '(', and
// returns its text without the outer parentheses and quoted-pair escapes.
func (l *lexer) comment() string {
	var sb strings.Builder
	depth := 0
	for !l.eof() {
		c := l.s[l.i]
		l.i++
		switch {
		case c == '\\' && !l.eof():
			c = l.s[l.i]
			l.i++
		case c == '(':
			depth++
			if depth == 1 {
				continue
			}
		case c == ')':
			depth--
			if depth == 0 {
				return strings.TrimSpace(sb.String())
			}
		}
		sb.WriteByte(c)
	}
	return strings.TrimSpace(sb.String())
}

// quoted reads the quoted string at l.i, which is '"', and returns its
// content with quoted-pair escapes resolved (RFC 5322 §3.2.4).
func (l *lexer) quoted() string {
	var sb strings.Builder
	l.i++
	for !l.eof() {
		c := l.s[l.i]
		l.i++
		switch {
		case c == '"':
			return sb.String()
		case c == '\\' && !l.eof():
			c = l.s[l.i]
			l.i++
		case c == '\r' || c == '\n':
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// token reads a run of bytes that are neither white space, nor '(' or '"',
// nor in stop.
func (l *lexer) token(stop string) string {
	start := l.i
	for !l.eof() {
		c := l.s[l.i]
		if isWSP(c) || c == '(' || c == '"' || strings.IndexByte(stop, c) >= 0 {
			break
		}
		l.i++
	}
	return l.s[start:l.i]
}

// skipPast advances past the next c, or to the end.
func (l *lexer) skipPast(c byte) {
	if i := strings.IndexByte(l.s[l.i:], c); i >= 0 {
		l.i += i + 1
		return
	}
	l.i = len(l.s)
}
