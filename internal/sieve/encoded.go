package sieve

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// encoded decodes "${hex:...}" and "${unicode:...}" in every string
// argument when encoded-character is required (RFC 5228 §2.4.2.4).
func (cp *compiler) encoded(n *node) error {
	if !cp.req["encoded-character"] {
		return nil
	}
	for i := range n.args {
		for j, s := range n.args[i].strs {
			d, ok := decodeEncoded(s)
			if !ok {
				return errAt(n.args[i].pos, "bad encoded character in %q", s)
			}
			n.args[i].strs[j] = d
		}
	}
	return nil
}

// decodeEncoded replaces each well-formed encoded-character sequence; a
// malformed one stays as it is, except a unicode value outside Unicode,
// which is an error (RFC 5228 §2.4.2.4).
func decodeEncoded(s string) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := strings.IndexByte(rest, '}')
		colon := strings.IndexByte(rest, ':')
		if end < 0 || colon < 0 || colon > end {
			b.WriteString("${")
			s = rest
			continue
		}
		kind := strings.ToLower(rest[:colon])
		body := rest[colon+1 : end]
		out, ok, fatal := decodeSeq(kind, body)
		if fatal {
			return "", false
		}
		if !ok {
			b.WriteString("${")
			s = rest
			continue
		}
		b.WriteString(out)
		s = rest[end+1:]
	}
}

func decodeSeq(kind, body string) (out string, ok, fatal bool) {
	if kind != "hex" && kind != "unicode" {
		return "", false, false
	}
	fields := strings.Fields(body)
	if strings.Trim(body, " \t\r\n") == "" || strings.ContainsAny(body, "}") {
		return "", false, false
	}
	var b strings.Builder
	for _, f := range fields {
		v, err := strconv.ParseUint(f, 16, 32)
		if err != nil {
			return "", false, false
		}
		if kind == "hex" {
			if v > 0xff {
				return "", false, false
			}
			b.WriteByte(byte(v))
			continue
		}
		if v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || !utf8.ValidRune(rune(v)) {
			return "", false, true
		}
		b.WriteRune(rune(v))
	}
	return b.String(), true, false
}
