package msgauth

import (
	"strings"
	"unicode/utf8"
)

// maxLine is the line length that folding keeps to where the values
// allow (RFC 5322 §2.1.1: "SHOULD be no more than 78 characters").
const maxLine = 78

// resinfo is one result of an Authentication-Results field (RFC 8601
// §2.2: resinfo = [CFWS] ";" methodspec [CFWS reasonspec] [CFWS
// 1*propspec]).
type resinfo struct {
	method, result string
	comment        string // without the parentheses; "" for none
	reason         string // RFC 8601 §2.3; "" for none
	props          []prop
}

// prop is one propspec (RFC 8601 §2.2): ptype "." property "=" pvalue.
type prop struct{ ptype, property, value string }

// words returns the resinfo's parts that folding may separate: the
// methodspec, the comment, the reasonspec and each propspec.
func (r resinfo) words() []string {
	w := []string{r.method + "=" + r.result}
	if r.comment != "" {
		w = append(w, "("+commentText(r.comment)+")")
	}
	if r.reason != "" {
		// A ";" is allowed in a quoted-string, but parsers that split
		// the field at every ";" (go-msgauth's among them) would take it
		// for the end of the result.
		w = append(w, "reason="+quoted(strings.ReplaceAll(r.reason, ";", ",")))
	}
	for _, p := range r.props {
		if p.value != "" {
			w = append(w, p.ptype+"."+p.property+"="+pvalue(p.value))
		}
	}
	return w
}

// formatField writes the Authentication-Results field for authservID
// with the results, folded and CRLF-terminated:
//
//	Authentication-Results: mx.example.org;
//		spf=pass smtp.mailfrom=alice@example.com;
//		dkim=pass header.d=example.com header.s=sel header.a=rsa-sha256
//		header.b=AbCdEfGhIjKl
//
// Each result starts a line; a result that does not fit in 78 octets is
// folded between its parts. A single part longer than that (a long
// domain) makes a longer line, never a broken value.
func formatField(authservID string, results []resinfo) string {
	var b strings.Builder
	b.WriteString(fieldName + ": " + pvalue(authservID))
	if len(results) == 0 {
		b.WriteString("; none") // RFC 8601 §2.2: no-result
	}
	for i, r := range results {
		b.WriteString(";\r\n\t")
		line := 1 // the tab
		words := r.words()
		for j, w := range words {
			n := utf8.RuneCountInString(w)
			if i < len(results)-1 && j == len(words)-1 {
				n++ // the ";" that follows
			}
			if j > 0 && line+1+n > maxLine {
				b.WriteString("\r\n\t")
				line = 1
			} else if j > 0 {
				b.WriteByte(' ')
				line++
			}
			b.WriteString(w)
			line += utf8.RuneCountInString(w)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// pvalue writes a property value or authserv-id (RFC 8601 §2.2: pvalue =
// value / [[local-part] "@"] domain-name; value = token / quoted-string,
// RFC 2045 §5.1): as it is when it is a token or a dot-atom address,
// else quoted.
func pvalue(s string) string {
	s = stripControls(s)
	if isToken(s) || isDotAtomAddress(s) {
		return s
	}
	return quoted(s)
}

// quoted writes s as a quoted-string (RFC 5322 §3.2.4): quotes and
// backslashes escaped, control characters left out.
func quoted(s string) string {
	s = stripControls(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// commentText makes s safe inside a comment (RFC 5322 §3.2.2):
// parentheses and backslashes escaped, control characters left out.
func commentText(s string) string {
	s = stripControls(s)
	if !strings.ContainsAny(s, `\()`) {
		return s // the usual case: no Replacer built for every message
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '(' || c == ')' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stripControls removes control characters (CR and LF among them), so
// that no value can end the field or start another.
func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// isToken reports a non-empty token of US-ASCII characters (RFC 2045 §5.1).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7e || !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// isDotAtomAddress reports local-part "@" domain-name with a dot-atom
// local part (RFC 5322 §3.2.3, §3.4.1) of US-ASCII characters.
func isDotAtomAddress(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return false
			}
		}
	}
	return isDomainName(domain)
}

// isDomainName reports a name of letters, digits, hyphens, underscores
// and dots (A-labels: RFC 5890 §2.3.2.1).
func isDomainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// isAtext reports a character of an atom (RFC 5322 §3.2.3).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
