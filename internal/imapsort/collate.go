package imapsort

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Collate returns the i;unicode-casemap key of s (RFC 5051 §2): each
// character mapped to its titlecase (Go's simple mapping), the result
// decomposed to NFKD. Two strings compare under the collation as their
// keys compare as octets (RFC 5256 §2.1, last paragraph; RFC 5256 §3).
// Bytes that are not UTF-8 count as U+FFFD.
func Collate(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	b := make([]byte, 0, len(s))
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b = append(b, c)
		}
		return string(b)
	}
	for _, r := range s {
		b = utf8.AppendRune(b, unicode.ToTitle(r))
	}
	return norm.NFKD.String(string(b))
}
