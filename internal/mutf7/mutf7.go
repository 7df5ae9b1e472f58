package mutf7

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// mutf7 returns the modified BASE64 of RFC 3501 §5.1.3 ("," instead of
// "/", no padding).
func mutf7() *base64.Encoding {
	return base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)
}

// Encode encodes a UTF-8 mailbox name in modified UTF-7 (for IMAP4rev1
// clients that did not enable UTF8=ACCEPT).
func Encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c <= 0x7e {
			if c == '&' {
				b.WriteString("&-")
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] < 0x20 || s[j] > 0x7e) {
			_, n := utf8.DecodeRuneInString(s[j:])
			j += n
		}
		var units []uint16
		for _, r := range s[i:j] {
			units = utf16.AppendRune(units, r)
		}
		buf := make([]byte, 2*len(units))
		for k, u := range units {
			buf[2*k], buf[2*k+1] = byte(u>>8), byte(u)
		}
		b.WriteByte('&')
		b.WriteString(mutf7().EncodeToString(buf))
		b.WriteByte('-')
		i = j
	}
	return b.String()
}

// Decode decodes a modified UTF-7 name; ok is false when it is not
// valid modified UTF-7.
func Decode(s string) (string, bool) {
	if !strings.Contains(s, "&") {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return "", false
			}
		}
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return "", false
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", false
		}
		enc := s[i+1 : i+1+end]
		i += end + 1
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mutf7().DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", false
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for _, r := range utf16.Decode(units) {
			if r == utf8.RuneError || r >= 0x20 && r <= 0x7e {
				return "", false
			}
			b.WriteRune(r)
		}
	}
	return b.String(), true
}
