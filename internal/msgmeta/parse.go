package msgmeta

import (
	"bytes"
	"io"
	"slices"
	"strings"
)

// Limits that keep hostile input from blowing up the parser. Past them the
// structure is cut short (see the package documentation), never rejected.
const (
	maxDepth = 20    // nesting of multiparts and encapsulated messages
	maxParts = 10000 // parts in a whole message, the root included
)

// Parse reads a raw message (RFC 5322; CRLF line endings, bare LF tolerated)
// and computes its metadata. The only errors are r's: malformed mail always
// yields metadata.
func Parse(r io.Reader) (*Meta, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseBytes(raw), nil
}

// ParseBytes computes the metadata of the raw message raw. The offsets in it
// are offsets into raw.
func ParseBytes(raw []byte) *Meta {
	p := parser{raw: raw, budget: maxParts - 1}
	h := scanHeader(raw, 0, len(raw))
	m := p.message(&h, 0, len(raw), 0)
	m.Headers = decodedFields(&h)
	m.WireSize = WireSize(raw)
	return m
}

// parser holds the message being parsed and the parts it may still create.
type parser struct {
	raw    []byte
	budget int
}

// message parses the message in raw[start:end], whose header is h (its Part
// already counted in the budget); Headers are left to the caller.
func (p *parser) message(h *header, start, end, depth int) *Meta {
	m := &Meta{Version: Version, Envelope: envelope(h)}
	if v, ok := h.get("Date"); ok {
		if t, ok := parseDate(v); ok {
			m.SentDate = t
		}
	}
	m.Body = p.entity(start, end, h, depth, false)
	return m
}

// envelope builds the ENVELOPE of RFC 9051 §7.5.2 from a message header.
// Sender and Reply-To are stored with their default applied.
func envelope(h *header) Envelope {
	addrs := func(name string) []Address {
		v, _ := h.get(name)
		return parseAddressList(v)
	}
	e := Envelope{
		Date:      fieldValue(h, "Date"),
		Subject:   fieldValue(h, "Subject"),
		From:      authors(h),
		Sender:    addrs("Sender"),
		ReplyTo:   addrs("Reply-To"),
		To:        addrs("To"),
		Cc:        addrs("Cc"),
		Bcc:       addrs("Bcc"),
		InReplyTo: fieldValue(h, "In-Reply-To"),
		MessageID: fieldValue(h, "Message-ID"),
	}
	// RFC 9051 §7.5.2: "If the Sender or Reply-To lines are absent in the
	// [RFC-5322] header, or are present but empty, the server sets the
	// corresponding member of the envelope to be the same value as the
	// from member".
	if len(e.Sender) == 0 {
		e.Sender = slices.Clone(e.From)
	}
	if len(e.ReplyTo) == 0 {
		e.ReplyTo = slices.Clone(e.From)
	}
	return e
}

// authors lists every address of every From field: the From rule of
// package header (RFC 5322 §3.6.2 allows one field; a second one is shown,
// not hidden, as DMARC checks it too).
func authors(h *header) []Address {
	var out []Address
	for _, f := range h.fields {
		if !strings.EqualFold(f.name, "From") {
			continue
		}
		if list := parseAddressList(f.value); out == nil {
			out = list // the usual one field: no copy
		} else {
			out = append(out, list...)
		}
	}
	return out
}

// entity builds the Part of the MIME entity in raw[start:end] whose header
// is h. digest tells whether it is a child of a multipart/digest.
func (p *parser) entity(start, end int, h *header, depth int, digest bool) Part {
	pt := Part{Offset: int64(start), HeaderSize: int64(h.size), BodySize: int64(end - start - h.size)}
	applyMIME(&pt, h, digest)
	bodyStart := start + h.size
	switch {
	case strings.EqualFold(pt.Type, "multipart"):
		p.multipart(&pt, bodyStart, end, depth)
	case isMessage(&pt):
		p.encapsulated(&pt, bodyStart, end, depth)
	}
	// RFC 9051 §7.5.2: body size in text lines, for text/* and message/rfc822.
	if strings.EqualFold(pt.Type, "text") || pt.Message != nil {
		pt.Lines = countLines(p.raw[bodyStart:end])
	}
	return pt
}

// isMessage reports whether pt encapsulates a message (RFC 2046 §5.2.1,
// RFC 6532 §3.5).
func isMessage(pt *Part) bool {
	return strings.EqualFold(pt.Type, "message") &&
		(strings.EqualFold(pt.Subtype, "rfc822") || strings.EqualFold(pt.Subtype, "global"))
}

// multipart splits the body raw[start:end] of pt into its children, or
// makes pt a text/plain leaf when it cannot.
func (p *parser) multipart(pt *Part, start, end, depth int) {
	boundary := paramValueOf(pt.Params, "boundary")
	if boundary == "" || len(boundary) > maxBoundary || depth >= maxDepth || p.budget < 1 {
		pt.Type, pt.Subtype = "text", "plain"
		return
	}
	spans := splitMultipart(p.raw, start, end, boundary, p.budget)
	if len(spans) == 0 {
		pt.Type, pt.Subtype = "text", "plain"
		return
	}
	p.budget -= len(spans)
	digest := strings.EqualFold(pt.Subtype, "digest")
	pt.Children = make([]Part, len(spans))
	for i, s := range spans {
		h := scanHeader(p.raw, s.start, s.end)
		pt.Children[i] = p.entity(s.start, s.end, &h, depth+1, digest)
	}
}

// encapsulated parses the message that is the body raw[start:end] of pt,
// or makes pt a leaf when it cannot.
func (p *parser) encapsulated(pt *Part, start, end, depth int) {
	switch strings.ToLower(pt.Encoding) {
	case "7bit", "8bit", "binary":
	default: // base64 or quoted-printable: the bytes are not the message
		pt.Type, pt.Subtype = "application", "octet-stream"
		return
	}
	if depth >= maxDepth || p.budget < 1 {
		pt.Type, pt.Subtype = "text", "plain"
		return
	}
	p.budget--
	h := scanHeader(p.raw, start, end)
	pt.Message = p.message(&h, start, end, depth+1)
}

// paramValueOf returns the value of the parameter named name.
func paramValueOf(params []Param, name string) string {
	for _, q := range params {
		if q.Name == name {
			return q.Value
		}
	}
	return ""
}

// countLines counts the lines of b; a last line without a line feed counts.
func countLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte{'\n'}))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}
