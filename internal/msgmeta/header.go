package msgmeta

import (
	"strings"

	hdr "github.com/petrelmail/petrel/internal/header"
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

// scanHeader reads the header at the start of raw[start:end] the one way
// of package header (RFC 5322 §2.1: it ends at the first empty line;
// without one, the whole region is header; a line that is not a field
// stays in the header but yields no field), keeping maxFields fields.
func scanHeader(raw []byte, start, end int) header {
	var h header
	h.size, _ = hdr.Scan(raw[start:end], func(f hdr.Field) bool {
		h.fields = append(h.fields, field{name: f.Name, value: f.Value()})
		return len(h.fields) < maxFields
	})
	return h
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
