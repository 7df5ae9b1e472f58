package mime7bit

import (
	"encoding/base64"
	"io"
)

// b64Line is the input of one line of base64: 57 octets make the 76
// characters RFC 2045 §6.8 allows on a line.
const b64Line = 57

// b64Writer encodes a body as base64 (RFC 2045 §6.8), streaming: lines
// of 76 characters, each ended by CRLF. No base64 line can be taken for
// a boundary delimiter: the alphabet has no "-" (RFC 2046 §5.1.1).
type b64Writer struct {
	w   io.Writer
	in  [b64Line]byte
	n   int // octets in in
	out [b64Line/3*4 + 2]byte
	err error
}

// write encodes p, a piece of the body (line ends included: they are data).
func (b *b64Writer) write(p []byte) {
	for len(p) > 0 {
		k := copy(b.in[b.n:], p)
		b.n += k
		p = p[k:]
		if b.n == b64Line {
			b.line()
		}
	}
}

// line writes the octets held as one line.
func (b *b64Writer) line() {
	m := base64.StdEncoding.EncodedLen(b.n)
	base64.StdEncoding.Encode(b.out[:m], b.in[:b.n])
	b.out[m], b.out[m+1] = '\r', '\n'
	if b.err == nil {
		_, b.err = b.w.Write(b.out[:m+2])
	}
	b.n = 0
}

// close writes the last line; the caller writes what follows.
func (b *b64Writer) close() error {
	if b.n > 0 {
		b.line()
	}
	return b.err
}

// encodeBase64 writes a body as base64 (NoNUL: its octets exactly, so
// that decoding gives them back, RFC 3516 §4.2). The line end before a
// delimiter belongs to the delimiter (RFC 2046 §5.1.1), so each line end
// is held until the next line shows it is the body's; at the end of the
// input the last one is the body's too.
func (w *walker) encodeBase64() (*end, error) {
	b := &b64Writer{w: w.out}
	var eol [2]byte
	var held []byte // the last line end, not encoded yet (in eol)
	for {
		p, e, err := w.read()
		if err != nil {
			return nil, err
		}
		if e != nil {
			if e.level < 0 {
				b.write(held)
				held = nil
			}
			if err := b.close(); err != nil {
				return nil, err
			}
			w.write(held)
			return e, nil
		}
		b.write(held)
		b.write(p.text)
		held = append(eol[:0], p.eol...) // p is valid until the next read
	}
}
