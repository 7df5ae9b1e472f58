package imapmsg

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// IndexText is the store.TextExtractor of the full-text index
// (docs/architecture.md §Full-text index): the strings SEARCH's text keys
// look in (RFC 9051 §6.4.4), folded as Match folds them, walked as Match
// walks a message, so that a needle TextPlan accepts is in a column if
// and only if Match finds it. ok is false when the text is over
// store.MaxIndexText.
func IndexText(meta *msgmeta.Meta, body io.ReaderAt, size int64) (*store.IndexText, bool, error) {
	if meta == nil {
		meta = bareMeta(size)
	}
	x := &indexer{body: body, size: size}
	x.addressKeys(meta)
	for _, h := range meta.Headers {
		x.field(store.ColTopNV, store.ColTopColon, h)
	}
	if err := x.part(&meta.Body, true); err != nil {
		return nil, false, err
	}
	if x.over {
		return nil, false, nil
	}
	t := &store.IndexText{}
	for i := range x.cols {
		t.Columns[i] = x.cols[i].String() // no copy: a strings.Builder
	}
	return t, true, nil
}

// TextPlan is the index query of a SUBJECT, FROM, TO, CC, BCC, BODY or
// TEXT key: the columns where Match's strings for this needle are. ok is
// false when the index cannot answer: another key, or a needle under 3
// characters (the trigrams of the index), not valid UTF-8, or holding
// store.TextSeparator, U+FFFD or NUL (which the index text replaces).
func TextPlan(kind SearchKind, text string) (q store.TextQuery, ok bool) {
	n := fold(text)
	if utf8.RuneCountInString(n) < 3 || !utf8.ValidString(n) || strings.ContainsAny(n, string(rune(store.TextSeparator))+"\uFFFD\x00") {
		return q, false
	}
	q.Needle = n
	switch kind {
	case Subject:
		q.Columns = []store.TextColumn{store.ColSubject}
	case From:
		q.Columns = []store.TextColumn{store.ColFrom}
	case To:
		q.Columns = []store.TextColumn{store.ColTo}
	case Cc:
		q.Columns = []store.TextColumn{store.ColCc}
	case Bcc:
		q.Columns = []store.TextColumn{store.ColBcc}
	case Body:
		q.Columns = []store.TextColumn{store.ColBody}
	case Text:
		q.Columns = textColumns(n)
	default:
		return q, false
	}
	return q, true
}

// FuzzyPlan is the index query of FUZZY over a text key (RFC 6203 §3;
// README "Full-text search"): the words of the string of 3 characters or
// more, each in one of the key's columns, in any order; TEXT looks in the
// headers as parsed and as written and in the text. ok is false when
// the key is no text key or has no such word.
func FuzzyPlan(kind SearchKind, text string) (q store.TextQuery, ok bool) {
	var words []string
	for _, w := range strings.Fields(fold(text)) {
		if _, ok := TextPlan(Body, w); ok {
			words = append(words, w)
		}
	}
	if q, ok = TextPlan(kind, strings.Join(words, " ")); !ok {
		return q, false
	}
	if kind == Text {
		q.Columns = []store.TextColumn{store.ColTopNV, store.ColSubNVEnc, store.ColSubNVPlain, store.ColSubRaw, store.ColBody}
	}
	q.Fuzzy = true
	return q, true
}

// textColumns are TEXT's columns for needle n. finder.inField matches
// "Name: Value" when n has a colon, else the name and the value apart;
// textSearch.header reads a part header as written when it has no
// encoded word and n no white space or colon, else parsed.
func textColumns(n string) []store.TextColumn {
	switch {
	case strings.Contains(n, ":"):
		return []store.TextColumn{store.ColTopColon, store.ColSubColon, store.ColBody}
	case strings.ContainsAny(n, " \t"):
		return []store.TextColumn{store.ColTopNV, store.ColSubNVEnc, store.ColSubNVPlain, store.ColBody}
	}
	return []store.TextColumn{store.ColTopNV, store.ColSubNVEnc, store.ColSubRaw, store.ColBody}
}

// indexer collects the columns of one message. Its buffers serve all
// the message's parts and fields (docs/benchmarks.md §Full-text index
// cost (issue 21): the extraction's garbage).
type indexer struct {
	body  io.ReaderAt
	size  int64
	cols  [store.NumTextColumns]strings.Builder
	total int
	over  bool
	scan  textScanner // for its folding buffers
	raw   []byte      // foldStream's reads
	fold  []byte      // foldStream's folded text, add's input
}

// add appends one string, folded, to column c.
func (x *indexer) add(c store.TextColumn, folded []byte) {
	if b := x.column(c, len(folded)); b != nil {
		writeClean(b, folded)
	}
}

// column counts n more octets of text and returns column c, a separator
// written when it has text already; nil once the text is over
// store.MaxIndexText.
func (x *indexer) column(c store.TextColumn, n int) *strings.Builder {
	if x.over {
		return nil
	}
	x.total += n + 1
	if x.total > store.MaxIndexText {
		x.over = true
		return nil
	}
	b := &x.cols[c]
	if b.Len() > 0 {
		b.WriteByte(byte(store.TextSeparator))
	}
	return b
}

// addString adds s, folded; an ASCII string without NUL (most header
// fields) is lower-cased into the column as it is written.
func (x *indexer) addString(c store.TextColumn, s ...string) {
	for _, p := range s {
		if !isASCII(p) || strings.IndexByte(p, 0) >= 0 {
			x.add(c, []byte(fold(strings.Join(s, ""))))
			return
		}
	}
	n := 0
	for _, p := range s {
		n += len(p)
	}
	b := x.column(c, n)
	if b == nil {
		return
	}
	for _, p := range s {
		for i := 0; i < len(p); i++ {
			b.WriteByte(lowerASCII(p[i]))
		}
	}
}

// writeClean writes s with each invalid UTF-8 sequence and NUL replaced
// by U+FFFD: a valid needle without U+FFFD is in s if and only if it is in
// what is written.
func writeClean(b *strings.Builder, s []byte) {
	if utf8.Valid(s) && bytes.IndexByte(s, 0) < 0 {
		b.Write(s)
		return
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == 0 || r == utf8.RuneError && n <= 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(s[:n])
		}
		s = s[n:]
	}
}

// addressKeys fills the columns of SUBJECT, FROM, TO, CC and BCC as
// matchContent reads them: the decoded fields, and for the address keys
// each address as local@domain.
func (x *indexer) addressKeys(meta *msgmeta.Meta) {
	for _, k := range []struct {
		kind SearchKind
		col  store.TextColumn
	}{{Subject, store.ColSubject}, {From, store.ColFrom}, {To, store.ColTo}, {Cc, store.ColCc}, {Bcc, store.ColBcc}} {
		name := headerKeyField(k.kind)
		for _, h := range meta.Headers {
			if strings.EqualFold(h.Name, name) {
				x.addString(k.col, h.Value)
			}
		}
		if k.kind == Subject {
			continue
		}
		for _, a := range envelopeList(&meta.Envelope, k.kind) {
			if a.Host != "" {
				x.addString(k.col, a.Mailbox+"@"+a.Host)
			}
		}
	}
}

// field adds a header field as finder.inField reads it.
func (x *indexer) field(nv, colon store.TextColumn, h msgmeta.Field) {
	x.addString(nv, h.Value)
	x.addString(nv, h.Name)
	x.addString(colon, h.Name, ": ", h.Value)
}

// part walks p as textSearch.part does.
func (x *indexer) part(p *msgmeta.Part, top bool) error {
	if !top {
		if err := x.header(p); err != nil {
			return err
		}
	}
	switch {
	case len(p.Children) > 0:
		for i := range p.Children {
			if err := x.part(&p.Children[i], false); err != nil {
				return err
			}
		}
	case p.Message != nil:
		return x.part(&p.Message.Body, false)
	case strings.EqualFold(p.Type, "text"):
		return x.text(p)
	}
	return nil
}

// header adds the header of a part as textSearch.header reads it.
func (x *indexer) header(p *msgmeta.Part) error {
	sp := headerOf(p, x.size)
	raw, err := x.scan.readHeader(io.NewSectionReader(x.body, sp.start, min(sp.len(), maxSearchHeader)))
	if err != nil {
		return err
	}
	nv := store.ColSubNVEnc
	if !bytes.Contains(raw, []byte("=?")) {
		nv = store.ColSubNVPlain
		folded, err := x.foldStream(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return err
		}
		x.add(store.ColSubRaw, folded)
	}
	for _, h := range msgmeta.ParseBytes(raw).Headers {
		x.field(nv, store.ColSubColon, h)
	}
	return nil
}

// text adds the decoded text of a text part as textSearch.text reads it.
func (x *indexer) text(p *msgmeta.Part) error {
	sp := bodyOf(p, x.size)
	r := io.Reader(io.NewSectionReader(x.body, sp.start, sp.len()))
	if dec, ok := decoderFor(p.Encoding); ok && dec != nil {
		r = dec(r)
	}
	folded, err := x.foldStream(toUTF8(r, paramOf(p.Params, "charset")), sp.len())
	if err != nil {
		return err
	}
	x.cols[store.ColBody].Grow(len(folded) + 1)
	x.add(store.ColBody, folded)
	return nil
}

// foldStream reads r (about size octets) to its end, or past what the
// index takes, folding it as textScanner.in does: a chunk at a time, cut
// at rune boundaries. The result is valid until the next call.
func (x *indexer) foldStream(r io.Reader, size int64) ([]byte, error) {
	if want := int(min(max(size, 512), searchChunk)); cap(x.raw) < want {
		x.raw = make([]byte, want)
	}
	raw, out := x.raw[:cap(x.raw)], x.fold[:0]
	defer func() { x.fold = out[:0] }()
	pending := 0
	for {
		n, err := r.Read(raw[pending:])
		n += pending
		cut := n
		if err == nil {
			cut = completeRunes(raw[:n])
		}
		out = x.scan.appendFold(out, raw[:cut])
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if x.total+len(out) > store.MaxIndexText {
			x.over = true
			return nil, nil
		}
		pending = copy(raw, raw[cut:n])
	}
}
