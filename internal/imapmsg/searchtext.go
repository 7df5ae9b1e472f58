package imapmsg

import (
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// matchContent matches the keys that need the metadata or the body.
func (m *matcher) matchContent(k *SearchKey) (bool, error) {
	meta, err := m.getMeta()
	if err != nil {
		return false, err
	}
	switch k.Kind {
	case SentBefore, SentOn, SentSince:
		// The Date: header; without a usable one, the internal date, as
		// RFC 5256 §2.2 defines the sent date for SORT.
		t := meta.SentDate
		if t.IsZero() {
			t = m.c.Msg.InternalDate
		}
		return compareDay(t, k.Date, k.Kind), nil
	case Bcc, Cc, From, To:
		f := newFinder(k.Text)
		return headerContains(meta.Headers, headerKeyField(k.Kind), f) ||
			addressContains(envelopeList(&meta.Envelope, k.Kind), f), nil
	case Subject:
		return headerContains(meta.Headers, headerKeyField(k.Kind), newFinder(k.Text)), nil
	case Header:
		// RFC 9051 §6.4.4: "If the string to search is zero-length, this
		// matches all messages that have a header line with the specified
		// field-name regardless of the contents."
		return headerContains(meta.Headers, k.Field, newFinder(k.Text)), nil
	case Body, Text:
		return m.matchText(meta, k)
	}
	return false, nil
}

// headerKeyField is the field FROM, TO, CC, BCC and SUBJECT search.
func headerKeyField(kind SearchKind) string {
	switch kind {
	case Bcc:
		return "Bcc"
	case Cc:
		return "Cc"
	case From:
		return "From"
	case To:
		return "To"
	}
	return "Subject"
}

// envelopeList is the parsed address list FROM, TO, CC or BCC searches.
func envelopeList(env *msgmeta.Envelope, kind SearchKind) []msgmeta.Address {
	switch kind {
	case Bcc:
		return env.Bcc
	case Cc:
		return env.Cc
	case From:
		return env.From
	}
	return env.To
}

// addressContains reports whether an address of list, written as
// local@domain with the comments and folding white space of RFC 5322
// §3.4.1 (CFWS) removed by the parser, contains f's string: "user
// (comment)@ (comment) domain.org" is found as "user@domain.org". Group
// markers have no host and are skipped.
func addressContains(list []msgmeta.Address, f finder) bool {
	for _, a := range list {
		if a.Host != "" && f.inString(a.Mailbox+"@"+a.Host) {
			return true
		}
	}
	return false
}

// headerContains reports whether a field named name (ASCII
// case-insensitive) has a decoded value containing f's string.
func headerContains(fields []msgmeta.Field, name string, f finder) bool {
	for _, h := range fields {
		if strings.EqualFold(h.Name, name) && f.inString(h.Value) {
			return true
		}
	}
	return false
}

// matchText applies BODY and TEXT (RFC 9051 §6.4.4). BODY searches the
// decoded text of every text/* part, encapsulated messages included; TEXT
// also every header: the message's, each part's MIME header and each
// encapsulated message's (what Dovecot searches without a full-text index
// too). Attachments of other types and multipart preambles are not text
// and are not searched.
func (m *matcher) matchText(meta *msgmeta.Meta, k *SearchKey) (bool, error) {
	f := newFinder(k.Text)
	if len(f.needle) == 0 {
		return true, nil
	}
	withHeaders := k.Kind == Text
	if withHeaders {
		for _, h := range meta.Headers {
			if f.inField(h) {
				return true, nil
			}
		}
	}
	blob, err := m.getBlob()
	if err != nil {
		return false, err
	}
	t := textSearch{scan: textScanner{f: f}, body: blob, size: blob.Size(), headers: withHeaders}
	return t.part(&meta.Body, true)
}

// textSearch looks for a string in the text of one message.
type textSearch struct {
	scan    textScanner
	body    io.ReaderAt
	size    int64
	headers bool // also search headers below the top level
}

func (t *textSearch) part(p *msgmeta.Part, top bool) (bool, error) {
	if t.headers && !top {
		if ok, err := t.header(p); ok || err != nil {
			return ok, err
		}
	}
	switch {
	case len(p.Children) > 0:
		for i := range p.Children {
			if ok, err := t.part(&p.Children[i], false); ok || err != nil {
				return ok, err
			}
		}
	case p.Message != nil:
		return t.part(&p.Message.Body, false)
	case strings.EqualFold(p.Type, "text"):
		return t.text(p)
	}
	return false, nil
}

// maxSearchHeader bounds the bytes of one header TEXT decodes.
const maxSearchHeader = 1 << 20

// header searches the header of p. Its fields are decoded as msgmeta
// decodes the top-level ones, unless the raw header can give no other
// answer: it holds no encoded word and the string no white space (which
// a folded line could break) nor colon (which separates name and value).
func (t *textSearch) header(p *msgmeta.Part) (bool, error) {
	sp := headerOf(p, t.size)
	raw, err := t.scan.readHeader(io.NewSectionReader(t.body, sp.start, min(sp.len(), maxSearchHeader)))
	if err != nil {
		return false, err
	}
	if !bytes.Contains(raw, []byte("=?")) && !bytes.ContainsAny(t.scan.f.needle, " \t:") {
		return t.scan.in(bytes.NewReader(raw), int64(len(raw)))
	}
	for _, h := range msgmeta.ParseBytes(raw).Headers {
		if t.scan.f.inField(h) {
			return true, nil
		}
	}
	return false, nil
}

// text searches the body of the text part p, decoded: its transfer
// encoding undone (left as is when unknown) and its charset converted to
// UTF-8 (left as is when unknown: a search never fails on content).
func (t *textSearch) text(p *msgmeta.Part) (bool, error) {
	sp := bodyOf(p, t.size)
	r := io.Reader(io.NewSectionReader(t.body, sp.start, sp.len()))
	if dec, ok := decoderFor(p.Encoding); ok && dec != nil {
		r = dec(r)
	}
	return t.scan.in(toUTF8(r, paramOf(p.Params, "charset")), sp.len())
}

// toUTF8 converts r from the charset cs. US-ASCII and UTF-8 are read as
// they are: mail labelled US-ASCII that holds 8-bit text is nearly always
// UTF-8.
func toUTF8(r io.Reader, cs string) io.Reader {
	switch strings.ToLower(cs) {
	case "", "us-ascii", "utf-8", "utf8":
		return r
	}
	if cr, err := charset.Reader(cs, r); err == nil {
		return cr
	}
	return r
}

// paramOf returns the value of the parameter named name.
func paramOf(params []msgmeta.Param, name string) string {
	for _, q := range params {
		if strings.EqualFold(q.Name, name) {
			return q.Value
		}
	}
	return ""
}
