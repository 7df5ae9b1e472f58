package imapmsg

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// WriteBodyStructure writes p as BODYSTRUCTURE (extensible) or as BODY (RFC
// 9051 §7.5.2, §9 body). The two differ only in the extension data, which
// BODY leaves out at every level. utf8 is as for WriteEnvelope; parameter
// values that are not ASCII are then sent in RFC 2231 form (see
// writeParams).
func WriteBodyStructure(w *bytes.Buffer, p *msgmeta.Part, extensible bool, utf8 bool) {
	if p == nil {
		p = &msgmeta.Part{}
	}
	bodyWriter{w: w, ext: extensible, utf8: utf8}.part(p)
}

// bodyWriter writes one body structure.
type bodyWriter struct {
	w    *bytes.Buffer
	ext  bool // BODYSTRUCTURE: with extension data
	utf8 bool
}

func (b bodyWriter) part(p *msgmeta.Part) {
	if len(p.Children) > 0 {
		b.multipart(p)
		return
	}
	b.single(p)
}

// multipart writes body-type-mpart = 1*body SP media-subtype
// [SP body-ext-mpart] (RFC 9051 §9): the children follow each other
// without a space.
func (b bodyWriter) multipart(p *msgmeta.Part) {
	b.w.WriteByte('(')
	for i := range p.Children {
		b.part(&p.Children[i])
	}
	b.sp()
	writeString(b.w, p.Subtype, b.utf8)
	if b.ext {
		// body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
		b.sp()
		b.params(p.Params)
		b.extTail(p)
	}
	b.w.WriteByte(')')
}

// single writes body-type-1part (RFC 9051 §9): body-type-basic,
// body-type-msg (with the envelope, body and line count of the
// encapsulated message) or body-type-text (with a line count), then
// body-ext-1part for BODYSTRUCTURE.
func (b bodyWriter) single(p *msgmeta.Part) {
	typ, sub := leafType(p)
	msg := p.Message != nil && isMessageType(typ, sub)
	text := strings.EqualFold(typ, "text")
	b.w.WriteByte('(')
	writeString(b.w, typ, b.utf8)
	b.sp()
	writeString(b.w, sub, b.utf8)
	b.sp()
	b.fields(p, text)
	switch {
	case msg:
		b.sp()
		WriteEnvelope(b.w, &p.Message.Envelope, b.utf8)
		b.sp()
		b.part(&p.Message.Body)
		b.sp()
		b.number(p.Lines)
	case text:
		b.sp()
		b.number(p.Lines)
	}
	if b.ext {
		// body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
		b.sp()
		writeNString(b.w, p.MD5, b.utf8)
		b.extTail(p)
	}
	b.w.WriteByte(')')
}

// leafType returns the type and subtype to announce for a part written as
// a single part. msgmeta guarantees that a multipart has children and a
// message/rfc822 a Message; should either be missing, the part is
// announced as what its bytes can be read as, so that clients never
// expect a structure that is not there.
func leafType(p *msgmeta.Part) (typ, sub string) {
	typ, sub = p.Type, p.Subtype
	switch {
	case typ == "" || sub == "":
		return "text", "plain"
	case strings.EqualFold(typ, "multipart"):
		return "text", "plain"
	case p.Message == nil && isMessageType(typ, sub):
		return "application", "octet-stream"
	}
	return typ, sub
}

// isMessageType reports whether type/sub is an encapsulated message, which
// RFC 9051 §9 media-message describes with an envelope: message/rfc822 or
// message/global (RFC 6532 §3.5).
func isMessageType(typ, sub string) bool {
	return strings.EqualFold(typ, "message") &&
		(strings.EqualFold(sub, "rfc822") || strings.EqualFold(sub, "global"))
}

// fields writes body-fields = body-fld-param SP body-fld-id SP
// body-fld-desc SP body-fld-enc SP body-fld-octets (RFC 9051 §9).
func (b bodyWriter) fields(p *msgmeta.Part, text bool) {
	params := p.Params
	if text && !hasParam(params, "charset") {
		// RFC 2045 §5.2: a text part without a charset is US-ASCII. Said
		// explicitly, as the examples of RFC 9051 §7.5.2 and Dovecot do.
		params = append(params[:len(params):len(params)], msgmeta.Param{Name: "charset", Value: "us-ascii"})
	}
	b.params(params)
	b.sp()
	writeNString(b.w, p.ID, b.utf8)
	b.sp()
	writeNString(b.w, p.Description, b.utf8)
	b.sp()
	enc := p.Encoding
	if enc == "" {
		enc = "7BIT" // RFC 2045 §6.1; body-fld-enc is a string, never NIL
	}
	writeString(b.w, enc, b.utf8)
	b.sp()
	b.number(p.BodySize)
}

// extTail writes the extension data the two kinds of parts share:
// SP body-fld-dsp SP body-fld-lang SP body-fld-loc (RFC 9051 §9).
func (b bodyWriter) extTail(p *msgmeta.Part) {
	b.sp()
	if p.Disposition == "" {
		b.w.WriteString("NIL")
	} else {
		// body-fld-dsp = "(" string SP body-fld-param ")" / nil
		b.w.WriteByte('(')
		writeString(b.w, p.Disposition, b.utf8)
		b.sp()
		b.params(p.DispParams)
		b.w.WriteByte(')')
	}
	b.sp()
	b.languages(p.Language)
	b.sp()
	writeNString(b.w, p.Location, b.utf8)
}

// languages writes body-fld-lang = nstring / "(" string *(SP string) ")";
// the list form is used for any number of tags.
func (b bodyWriter) languages(tags []string) {
	b.list(len(tags), func(i int) { writeString(b.w, tags[i], b.utf8) })
}

// list writes "(" item *(SP item) ")" for n items, or NIL when n is 0.
func (b bodyWriter) list(n int, item func(i int)) {
	if n == 0 {
		b.w.WriteString("NIL")
		return
	}
	b.w.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.sp()
		}
		item(i)
	}
	b.w.WriteByte(')')
}

func (b bodyWriter) sp() { b.w.WriteByte(' ') }

// number writes a number; a negative one (impossible from msgmeta) as 0.
func (b bodyWriter) number(n int64) {
	b.w.WriteString(strconv.FormatInt(max(n, 0), 10))
}
