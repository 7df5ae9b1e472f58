package imapmsg

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// Name returns the section as a FETCH response names it (RFC 9051 §7.5.2
// BODY[<section>]<<origin octet>>, BINARY[<section-binary>]<<number>>):
// "BODY[1.2.HEADER.FIELDS (From To)]<0>", "BINARY[2]". A partial shows
// only its origin octet; field names are written as astrings.
func (s Section) Name() string {
	var b bytes.Buffer
	if s.Binary {
		b.WriteString("BINARY[")
	} else {
		b.WriteString("BODY[")
	}
	for i, n := range s.Part {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if s.Specifier != "" {
		if len(s.Part) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Specifier)
	}
	if isFieldsSpec(s.Specifier) {
		b.WriteString(" (")
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeAString(&b, f)
		}
		b.WriteByte(')')
	}
	b.WriteByte(']')
	if s.Partial != nil {
		b.WriteString("<" + strconv.FormatInt(max(s.Partial.Offset, 0), 10) + ">")
	}
	return b.String()
}

// isFieldsSpec reports whether spec is HEADER.FIELDS or HEADER.FIELDS.NOT.
func isFieldsSpec(spec string) bool {
	return strings.EqualFold(spec, "HEADER.FIELDS") || strings.EqualFold(spec, "HEADER.FIELDS.NOT")
}

// SectionReader returns the content of a section of a message (RFC 9051
// §6.4.5) and its length, which is the literal's size: with s.Partial set,
// the content is already cut to <offset.count>, an offset past the end
// giving an empty string. meta is the message's metadata, body its raw
// bytes and size their length.
//
// The content is streamed from body, except for HEADER.FIELDS(.NOT),
// which is assembled in memory from the header alone. A section that
// designates nothing (a part number that does not exist; HEADER or TEXT
// after a part that is not a message/rfc822) is an empty string: a FETCH
// never fails on structure. The only errors are body's, and
// UnknownEncodingError for BINARY of a part in an encoding that cannot be
// decoded (RFC 3516 §4.3: NO [UNKNOWN-CTE]).
func SectionReader(meta *msgmeta.Meta, body io.ReaderAt, size int64, s Section) (io.Reader, int64, error) {
	if meta == nil {
		meta = bareMeta(size)
	}
	spec := strings.ToUpper(s.Specifier)
	if s.Binary && spec == "" {
		return binarySection(meta, body, size, s)
	}
	sp, found := locate(meta, size, s.Part, spec)
	if isFieldsSpec(spec) && found {
		b, err := headerFields(io.NewSectionReader(body, sp.start, sp.len()), s.Fields, spec == "HEADER.FIELDS.NOT")
		if err != nil {
			return nil, 0, err
		}
		cut := span{0, int64(len(b))}.partial(s.Partial)
		b = b[cut.start:cut.end]
		return bytes.NewReader(b), int64(len(b)), nil
	}
	sp = sp.partial(s.Partial)
	return io.NewSectionReader(body, sp.start, sp.len()), sp.len(), nil
}

// bareMeta stands in for missing metadata: a message that is all body.
func bareMeta(size int64) *msgmeta.Meta {
	return &msgmeta.Meta{Body: msgmeta.Part{Type: "text", Subtype: "plain", BodySize: size}}
}

// locate finds the bytes a section designates (RFC 9051 §6.4.5): spec is
// the upper-cased specifier. found is false when they designate nothing.
func locate(meta *msgmeta.Meta, size int64, path []int, spec string) (sp span, found bool) {
	top := len(path) == 0
	p := &meta.Body
	if !top {
		if p = meta.Body.Find(path); p == nil {
			return span{}, false
		}
	}
	switch spec {
	case "":
		if top {
			return span{0, size}, true // BODY[]: the whole message
		}
		return bodyOf(p, size), true
	case "MIME":
		// "The MIME part specifier refers to the [MIME-IMB] header for
		// this part." For a message that is not multipart, part 1 is its
		// body, whose MIME header is the message header.
		return headerOf(p, size), true
	case "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT":
		// These apply to the message itself, or to the message in a
		// message/rfc822 part the part number designates.
		if !top {
			if p.Message == nil {
				return span{}, false
			}
			p = &p.Message.Body
		}
		if spec == "TEXT" {
			return bodyOf(p, size), true
		}
		return headerOf(p, size), true
	}
	return span{}, false
}

// headerOf is the header of p, with the blank line that ends it.
func headerOf(p *msgmeta.Part, size int64) span {
	return span{p.Offset, p.Offset + p.HeaderSize}.within(size)
}

// bodyOf is the body of p.
func bodyOf(p *msgmeta.Part, size int64) span {
	start := p.Offset + p.HeaderSize
	return span{start, start + p.BodySize}.within(size)
}

// span is the byte range [start, end) of a message.
type span struct{ start, end int64 }

func (s span) len() int64 { return s.end - s.start }

// within clamps s to a message of size bytes (metadata that does not fit
// the blob must not make a reader go past it).
func (s span) within(size int64) span {
	s.start = min(max(s.start, 0), size)
	s.end = min(max(s.end, s.start), size)
	return s
}

// partial cuts s to <offset.count> (RFC 9051 §6.4.5): "If the starting
// octet is beyond the end of the text, an empty string is returned."
func (s span) partial(p *Partial) span {
	if p == nil {
		return s
	}
	start := s.start + min(max(p.Offset, 0), s.len())
	return span{start, start + min(max(p.Count, 0), s.end-start)}
}
