package msgmeta

import (
	"bytes"
	"strings"
)

// maxFields bounds the header fields kept per header, so that a header of
// millions of tiny fields cannot make the metadata many times its size.
const maxFields = 10000

// header is the header section of one entity (a message or a body part).
type header struct {
	size   int     // bytes, including the empty line that ends it
	fields []field // fields in order, at most maxFields
}

// field is one header field, unfolded but otherwise as written.
type field struct {
	name  string
	value string // unfolded, surrounding white space trimmed
}

// get returns the value of the first field named name (ASCII
// case-insensitive), and whether there was one.
func (h *header) get(name string) (string, bool) {
	for _, f := range h.fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// scanHeader reads the header at the start of raw[start:end]. RFC 5322 §2.1:
// the header ends at the first empty line; without one, the whole region is
// header. A line that is not a field (no colon, bad name) stays in the header
// but yields no field.
func scanHeader(raw []byte, start, end int) header {
	var h header
	fieldStart := -1
	pos := start
	for pos < end {
		next := end
		if i := bytes.IndexByte(raw[pos:end], '\n'); i >= 0 {
			next = pos + i + 1
		}
		line := raw[pos:next]
		if isBlankLine(line) {
			h.add(raw, fieldStart, pos)
			h.size = next - start
			return h
		}
		// RFC 5322 §2.2.3: a line starting with WSP continues the field.
		if line[0] != ' ' && line[0] != '\t' {
			h.add(raw, fieldStart, pos)
			fieldStart = pos
		}
		pos = next
	}
	h.add(raw, fieldStart, end)
	h.size = end - start
	return h
}

// isBlankLine reports whether line (with its line break) is empty.
func isBlankLine(line []byte) bool {
	switch len(line) {
	case 1:
		return line[0] == '\n' || line[0] == '\r'
	case 2:
		return line[0] == '\r' && line[1] == '\n'
	}
	return false
}

// add appends the field in raw[start:end] if start >= 0 and it is a field.
func (h *header) add(raw []byte, start, end int) {
	if start < 0 || len(h.fields) >= maxFields {
		return
	}
	b := raw[start:end]
	colon := bytes.IndexByte(b, ':')
	if colon < 1 {
		return
	}
	// RFC 5322 §4.5 (obs-optional): white space may precede the colon.
	name := bytes.TrimRight(b[:colon], " \t")
	if !validFieldName(name) {
		return
	}
	h.fields = append(h.fields, field{name: string(name), value: unfold(b[colon+1:])})
}

// validFieldName checks RFC 5322 §3.6.8 ftext: printable ASCII but colon.
func validFieldName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// unfold removes the line breaks of a folded field body (RFC 5322 §2.2.3)
// and trims the white space around it.
func unfold(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\n' || (c == '\r' && (i+1 == len(b) || b[i+1] == '\n')) {
			continue
		}
		sb.WriteByte(c)
	}
	return strings.Trim(sb.String(), " \t")
}

// clean makes s valid UTF-8, replacing each invalid byte sequence with U+FFFD.
func clean(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// decodedFields returns the fields of h with RFC 2047 encoded words decoded.
func decodedFields(h *header) []Field {
	if len(h.fields) == 0 {
		return nil
	}
	out := make([]Field, len(h.fields))
	for i, f := range h.fields {
		out[i] = Field{Name: clean(f.name), Value: decodeWords(f.value)}
	}
	return out
}
