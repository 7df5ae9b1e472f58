package sieve

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"strings"

	"github.com/petrelmail/petrel/internal/header"
)

// Field is one header field as it appears in the message: its name and
// its raw value (unfolded by the reader of Fields, not decoded).
type Field struct{ Name, Value string }

// Part is one MIME part, in document order: its content type (lower
// case, "text/plain" when absent), its header fields and its content
// with the transfer encoding undone (RFC 5173 §5.2, RFC 5703 §3).
type Part struct {
	ContentType string
	Fields      []Field
	Content     []byte
	Multipart   bool
	Depth       int // 0 for the message itself
}

// Message is what a script reads of the message being delivered. The
// caller owns the message; ParsedMessage is an implementation over the
// raw bytes.
type Message interface {
	Fields() []Field // the top-level header, in order
	Size() int64     // octets of the whole message (RFC 5228 §5.9)
	RawBody() []byte // the body as received (RFC 5173 :raw)
	Parts() []Part   // MIME parts in document order
}

// ParsedMessage is a Message read from raw RFC 5322 bytes.
type ParsedMessage struct {
	raw    []byte
	fields []Field
	body   []byte
	parts  []Part
	parsed bool
}

// ParseMessage reads the header of raw; parts are read on first use.
func ParseMessage(raw []byte) *ParsedMessage {
	f, body := splitHeader(raw)
	return &ParsedMessage{raw: raw, fields: f, body: body}
}

func (m *ParsedMessage) Fields() []Field { return m.fields }
func (m *ParsedMessage) Size() int64     { return int64(len(m.raw)) }
func (m *ParsedMessage) RawBody() []byte { return m.body }

func (m *ParsedMessage) Parts() []Part {
	if !m.parsed {
		m.parsed = true
		m.parts = readParts(m.fields, m.body, 0)
	}
	return m.parts
}

// splitHeader separates the header fields (unfolded, by the one header
// reader, internal/header) from the body.
func splitHeader(raw []byte) ([]Field, []byte) {
	section, hf, _ := header.Read(bufio.NewReader(bytes.NewReader(raw)), 0)
	fields := make([]Field, len(hf))
	for i, f := range hf {
		fields[i] = Field{Name: f.Name, Value: f.Value()}
	}
	return fields, raw[len(section):]
}

func fieldValue(fields []Field, name string) string {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// maxPartDepth bounds multipart nesting.
const maxPartDepth = 20

func readParts(fields []Field, body []byte, depth int) []Part {
	ct := fieldValue(fields, "Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || ct == "" {
		mt = "text/plain"
	}
	p := Part{ContentType: mt, Fields: fields, Depth: depth}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxPartDepth {
		p.Multipart = true
		out := []Part{p}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			np, err := mr.NextRawPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(np)
			var sub []Field
			for k, vs := range np.Header {
				for _, v := range vs {
					sub = append(sub, Field{Name: k, Value: v})
				}
			}
			out = append(out, readParts(sub, data, depth+1)...)
		}
		return out
	}
	p.Content = decodeTransfer(fieldValue(fields, "Content-Transfer-Encoding"), body)
	return []Part{p}
}

func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		d, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, &stripSpace{r: bytes.NewReader(body)}))
		if err == nil {
			return d
		}
	case "quoted-printable":
		d, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err == nil {
			return d
		}
	}
	return body
}

type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}
