package mime7bit

import (
	"bytes"
	"io"

	hdr "github.com/petrelmail/petrel/internal/header"
)

const (
	// maxDepth bounds the nesting of multiparts and messages (Postfix's
	// mime_nesting_limit is 100); deeper entities are copied as they are.
	maxDepth = 100
	// maxField bounds a Content-Type or Content-Transfer-Encoding field
	// kept for parsing; other fields are streamed, whatever their length.
	maxField = 64 << 10
)

// walker walks the MIME structure of one message (RFC 2045, RFC 2046),
// writing it to out as it goes: Scan writes to io.Discard and records the
// entities whose bodies need converting (8-bit, or lines over MaxLine, as
// need says), Apply writes them re-encoded and long header lines folded.
type walker struct {
	lr      *lineReader
	out     io.Writer
	werr    error
	plan    *Plan
	apply   bool
	need    Need
	lineLen int      // octets of the current line so far
	fold    folder   // Apply: the header line being folded
	n       int      // entities met so far, in walking order
	conv    int      // Apply: the planned conversions done
	bounds  [][]byte // "--boundary" of the enclosing multiparts, outermost first
}

// end says where an entity ended: at the delimiter line of an enclosing
// multipart (RFC 2046 §5.1.1), not yet written, or at the end of the
// input (level -1).
type end struct {
	level int // index in bounds
	close bool
	line  piece
}

func (w *walker) message() error {
	_, err := w.entity("text/plain", true, 0)
	return err
}

// read returns the next piece, or the end that it is.
func (w *walker) read() (piece, *end, error) {
	if w.werr != nil {
		return piece{}, nil, w.werr
	}
	p, atEOF, err := w.lr.next()
	if err == io.EOF {
		return piece{}, &end{level: -1}, nil
	}
	if err != nil {
		return piece{}, nil, err
	}
	if p.start {
		w.lineLen = 0
	}
	w.lineLen += len(p.text)
	if p.whole(atEOF) {
		if e := w.delimiter(p); e != nil {
			return p, e, nil
		}
	}
	return p, nil, nil
}

// delimiter matches a line against the boundaries in force, innermost
// first: "--" boundary, "--" for the close delimiter, then transport
// padding (RFC 2046 §5.1.1).
func (w *walker) delimiter(p piece) *end {
	t := p.text
	if len(t) < 2 || t[0] != '-' || t[1] != '-' {
		return nil
	}
	for i := len(w.bounds) - 1; i >= 0; i-- {
		rest, ok := bytes.CutPrefix(t, w.bounds[i])
		if !ok {
			continue
		}
		rest, closing := bytes.CutPrefix(rest, []byte("--"))
		if len(bytes.TrimLeft(rest, " \t")) == 0 {
			return &end{level: i, close: closing, line: p}
		}
	}
	return nil
}

func (w *walker) write(b ...[]byte) {
	for _, s := range b {
		if w.werr == nil && len(s) > 0 {
			_, w.werr = w.out.Write(s)
		}
	}
}

// entity walks one entity (RFC 2045 §2.4): header, then the body by its
// kind. defType is the Content-Type in force without the field (RFC 2046
// §5.1.5: message/rfc822 in a digest); isMsg marks a message's header.
func (w *walker) entity(defType string, isMsg bool, depth int) (*end, error) {
	n := w.n
	w.n++
	var conv *conversion // Apply: this entity's planned conversion
	if w.apply && w.conv < len(w.plan.convert) && w.plan.convert[w.conv].n == n {
		conv = &w.plan.convert[w.conv]
	}
	h, e, err := w.header(conv, isMsg)
	if err != nil || e != nil {
		return e, err
	}
	kind, reason := h.kind(defType, depth, w.need)
	if conv != nil && kind != leafKind {
		return nil, errChanged
	}
	switch kind {
	case multipartKind:
		return w.multipart(h.boundary, h.mediaType == "multipart/digest", depth)
	case messageKind: // RFC 2046 §5.2.1: never encoded, so converted inside
		return w.entity("text/plain", true, depth+1)
	case leafKind:
		return w.leaf(n, conv, lenientIsBinary(h, w.need))
	}
	e, _, err = w.copyBody(reason)
	return e, err
}

// lenientIsBinary reports a part declared binary, under NoNUL: one whose
// conversion, whatever needs it, is base64.
func lenientIsBinary(h *header, need Need) bool {
	return need&NoNUL != 0 && lenientEncoding(h.cte) == "binary"
}

// header copies a header section (RFC 5322 §2.2), keeping the fields that
// say how to read the body. For a body being converted (conv) it drops
// every Content-Transfer-Encoding field and adds the new one last.
func (w *walker) header(conv *conversion, isMsg bool) (*header, *end, error) {
	h := &header{}
	var cur *[]byte // the field being kept, if any
	skip := false   // the field being dropped
	defer w.flushFold()
	for {
		p, e, err := w.read()
		if err != nil || e != nil {
			return h, e, err
		}
		if w.need&SevenBit != 0 && has8Bit(p.text) {
			return nil, nil, ErrHeader8Bit
		}
		if w.need&NoNUL != 0 && hasNUL(p.text) {
			return nil, nil, ErrHeaderNUL
		}
		if w.tooLong() {
			w.plan.fold = true // Scan; Apply folds (writeField)
		}
		if p.start && len(p.text) == 0 { // the empty line ends the header
			if conv != nil {
				w.conv++
				if isMsg && !h.mimeVersion {
					w.write([]byte("MIME-Version: 1.0\r\n"))
				}
				if conv.base64 {
					w.write([]byte("Content-Transfer-Encoding: base64\r\n"))
				} else {
					w.write([]byte("Content-Transfer-Encoding: quoted-printable\r\n"))
				}
			}
			w.write(p.text, p.eol)
			return h, nil, nil
		}
		if p.start && !hdr.IsContinuation(p.text) {
			var isCTE bool
			cur, isCTE = h.field(p.text)
			skip = conv != nil && isCTE
		}
		if cur != nil {
			h.keep(cur, p.text)
		}
		if !skip {
			w.writeField(p)
		}
	}
}

// multipart walks a multipart body (RFC 2046 §5.1.1): the preamble, each
// part up to its delimiter, the close delimiter and the epilogue. A
// missing close delimiter ends it at an enclosing one or the input's end.
func (w *walker) multipart(boundary string, digest bool, depth int) (*end, error) {
	level := len(w.bounds)
	w.bounds = append(w.bounds, append([]byte("--"), boundary...))
	defer func() { w.bounds = w.bounds[:level] }()
	def := "text/plain"
	if digest {
		def = "message/rfc822"
	}
	e, _, err := w.copyBody(ErrUnencodable) // the preamble
	for err == nil && e.level == level && !e.close {
		w.write(e.line.text, e.line.eol)
		e, err = w.entity(def, false, depth+1)
	}
	if err != nil || e.level != level {
		return e, err
	}
	w.write(e.line.text, e.line.eol)
	w.bounds = w.bounds[:level]
	e, _, err = w.copyBody(ErrUnencodable) // the epilogue
	return e, err
}

// leaf walks a body that may be converted: Scan notes whether it needs
// to be (8-bit, long lines, NUL, as need says) and how (base64 for NUL
// or a part declared binary, else quoted-printable), Apply copies or
// encodes it as planned.
func (w *walker) leaf(n int, conv *conversion, binary bool) (*end, error) {
	switch {
	case conv != nil && conv.base64:
		return w.encodeBase64()
	case conv != nil:
		return w.encode()
	case w.apply:
		e, _, err := w.copyBody(errChanged)
		return e, err
	}
	e, saw, err := w.copyBody(nil)
	if saw != 0 && err == nil {
		w.plan.convert = append(w.plan.convert, conversion{n: n, base64: binary || saw&sawNUL != 0})
	}
	return e, err
}

// seen is what copyBody found that needs converting.
type seen uint8

const (
	sawOther seen = 1 << iota // an 8-bit octet (SevenBit), a long line (ShortLines)
	sawNUL                    // a NUL octet (NoNUL)
)

// copyBody copies a body as it is up to its end. What needs converting
// (an 8-bit octet, a line over MaxLine, a NUL, as need says) is reported
// in saw with on8bit nil, else it is an error: on8bit for an 8-bit
// octet, ErrLongLine for a long line, ErrNUL for a NUL (errChanged for
// any in Apply).
func (w *walker) copyBody(on8bit error) (e *end, saw seen, err error) {
	for {
		p, e, err := w.read()
		if err != nil || e != nil {
			return e, saw, err
		}
		bit := w.need&SevenBit != 0 && has8Bit(p.text)
		nul := w.need&NoNUL != 0 && hasNUL(p.text)
		if long := w.tooLong(); bit || long || nul {
			switch {
			case on8bit == nil && nul:
				saw |= sawNUL
			case on8bit == nil:
				saw |= sawOther
			case bit || on8bit == errChanged:
				return nil, saw, on8bit
			case nul:
				return nil, saw, ErrNUL
			default:
				return nil, saw, ErrLongLine
			}
		}
		w.write(p.text, p.eol)
	}
}

// tooLong reports whether the current line is over MaxLine octets and
// need asks for short lines.
func (w *walker) tooLong() bool { return w.need&ShortLines != 0 && w.lineLen > MaxLine }

// encode writes a body as quoted-printable. The line end before a
// delimiter belongs to the delimiter (RFC 2046 §5.1.1), so each line end
// is held until the next line shows it is the body's.
func (w *walker) encode() (*end, error) {
	q := newQPWriter(w.out)
	held := false
	for {
		p, e, err := w.read()
		if err != nil {
			return nil, err
		}
		if e != nil {
			if err := q.close(); err != nil {
				return nil, err
			}
			if held {
				w.write([]byte("\r\n"))
			}
			return e, nil
		}
		if held {
			q.hardBreak()
		}
		q.text(p.text)
		held = p.eol != nil
	}
}
