package msgmeta

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"

	"github.com/emersion/go-message/charset"
)

// decodeWords decodes the RFC 2047 encoded words in a field body to UTF-8.
// A word that is malformed or whose charset is unknown is left as written.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return clean(s)
	}
	var sb strings.Builder
	afterWord := false
	for {
		i := strings.Index(s, "=?")
		if i < 0 {
			break
		}
		text, n, ok := decodeWordAt(s[i:])
		if !ok {
			sb.WriteString(s[:i+2])
			s = s[i+2:]
			afterWord = false
			continue
		}
		// RFC 2047 §6.2: white space between adjacent encoded words is
		// not displayed.
		if gap := s[:i]; !afterWord || strings.Trim(gap, " \t") != "" {
			sb.WriteString(gap)
		}
		sb.WriteString(text)
		s = s[i+n:]
		afterWord = true
	}
	sb.WriteString(s)
	return clean(sb.String())
}

// decodeWordAt decodes the encoded word at the start of s (RFC 2047 §2:
// "=?" charset "?" encoding "?" encoded-text "?="), returning the decoded
// text and the length of the word. Per RFC 2047 §5, the encoded text holds
// no '?' and no white space: the text ends at the first '?', which keeps
// the work linear however many "=?" a field holds.
func decodeWordAt(s string) (string, int, bool) {
	rest := s[2:]
	q := strings.IndexByte(rest, '?')
	if q < 1 || len(rest) < q+3 || rest[q+2] != '?' {
		return "", 0, false
	}
	cs, enc := rest[:q], rest[q+1]
	rest = rest[q+3:]
	end := strings.IndexByte(rest, '?')
	if end < 0 || end+1 == len(rest) || rest[end+1] != '=' ||
		strings.ContainsAny(cs, " \t") || strings.ContainsAny(rest[:end], " \t") {
		return "", 0, false
	}
	var b []byte
	var ok bool
	switch enc {
	case 'B', 'b': // RFC 2047 §4.1
		b, ok = decodeBase64(rest[:end])
	case 'Q', 'q': // RFC 2047 §4.2
		b, ok = decodeQ(rest[:end]), true
	}
	if !ok {
		return "", 0, false
	}
	text, ok := convertCharset(cs, b)
	if !ok {
		return "", 0, false
	}
	return text, 2 + q + 3 + end + 2, true
}

// decodeBase64 decodes standard base64, tolerating missing padding.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	return b, err == nil
}

// decodeQ decodes the "Q" encoding: '_' is a space, "=XX" an octet.
func decodeQ(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

// percentDecode decodes the %XX octets of an RFC 2231 §4 extended value;
// a '%' not followed by two hex digits is kept.
func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// convertCharset converts b from the named charset to UTF-8 (not yet
// checked for validity). It reports false when the charset is unknown.
func convertCharset(name string, b []byte) (string, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	// RFC 2231 §5: an encoded word's charset may carry "*language".
	if i := strings.IndexByte(name, '*'); i >= 0 {
		name = name[:i]
	}
	switch name {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return string(b), true
	}
	r, err := charset.Reader(name, bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return "", false
	}
	return string(out), true
}
