package imapmsg

import (
	"bytes"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// writeNString writes s as an nstring (RFC 9051 §9): NIL when s is empty,
// which is how msgmeta marks an absent value.
func writeNString(w *bytes.Buffer, s string, utf8 bool) {
	if s == "" {
		w.WriteString("NIL")
		return
	}
	writeString(w, s, utf8)
}

// writeString writes s as an IMAP string (RFC 9051 §4.3): quoted when it
// can be, else a literal.
//
// Without UTF8=ACCEPT, a string holding non-ASCII text is first downgraded
// to RFC 2047 encoded words (RFC 6855 §7 leaves the wire to RFC 3501, whose
// quoted strings are 7-bit; RFC 6858 §3 downgrades header text this way).
// With it (or IMAP4rev2), UTF-8 goes as is: RFC 9051 §9 and RFC 6855 §3
// allow UTF8-2/3/4 in quoted strings. NUL is never allowed outside literal8
// (RFC 9051 §4.3), so it is dropped; CR and LF cannot be quoted (TEXT-CHAR),
// so a string holding them goes as a literal.
func writeString(w *bytes.Buffer, s string, utf8 bool) {
	if !utf8 && !isASCII(s) {
		s = encodeWords(s)
	}
	s = strings.ReplaceAll(s, "\x00", "")
	if strings.ContainsAny(s, "\r\n") {
		w.WriteByte('{')
		w.WriteString(strconv.Itoa(len(s)))
		w.WriteString("}\r\n")
		w.WriteString(s)
		return
	}
	w.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			w.WriteByte('\\') // RFC 9051 §9: "\" quoted-specials
		}
		w.WriteByte(s[i])
	}
	w.WriteByte('"')
}

// encodeWords returns s as RFC 2047 encoded words in UTF-8 (Q encoding,
// which mime splits into words of at most 75 characters, RFC 2047 §2).
// Invalid UTF-8 is replaced first, so that the words decode.
func encodeWords(s string) string {
	return mime.QEncoding.Encode("utf-8", strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// isASCII reports whether s holds only 7-bit characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isAtom reports whether s is an IMAP atom (RFC 9051 §9: 1*ATOM-CHAR, any
// 7-bit CHAR except atom-specials).
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// writeAString writes s as an astring: an atom when it is one, else a
// string (RFC 9051 §9).
func writeAString(w *bytes.Buffer, s string) {
	if isAtom(s) {
		w.WriteString(s)
		return
	}
	writeString(w, s, false)
}
