package imapmsg

import "io"

// byteDecoder decodes a transfer encoding as a stream: write decodes the
// next input bytes, end flushes what is pending at the end of the input.
// Both append to out.
type byteDecoder interface {
	write(out, in []byte) []byte
	end(out []byte) []byte
}

// decodeReader runs a byteDecoder over a reader.
type decodeReader struct {
	src io.Reader
	dec byteDecoder
	in  []byte
	out []byte
	pos int
	err error
}

func newDecodeReader(src io.Reader, dec byteDecoder) *decodeReader {
	return &decodeReader{src: src, dec: dec, in: make([]byte, 16<<10)}
}

func (d *decodeReader) Read(p []byte) (int, error) {
	for d.pos == len(d.out) {
		if d.err != nil {
			return 0, d.err
		}
		d.out, d.pos = d.out[:0], 0
		n, err := d.src.Read(d.in)
		d.out = d.dec.write(d.out, d.in[:n])
		if err == io.EOF {
			d.out = d.dec.end(d.out)
		}
		d.err = err
	}
	n := copy(p, d.out[d.pos:])
	d.pos += n
	return n, nil
}

// base64Decoder decodes base64 (RFC 2045 §6.8) leniently: characters
// outside the alphabet are ignored, as §6.8 asks of line breaks and
// garbage; "=" ends a quantum, so that concatenated encodings decode; a
// final incomplete quantum gives the octets it holds.
type base64Decoder struct {
	acc uint32
	n   int // sextets in acc
}

func newBase64Reader(r io.Reader) io.Reader { return newDecodeReader(r, &base64Decoder{}) }

func (d *base64Decoder) write(out, in []byte) []byte {
	for _, c := range in {
		v := base64Value(c)
		switch {
		case c == '=':
			out = d.end(out)
		case v >= 0:
			d.acc, d.n = d.acc<<6|uint32(v), d.n+1
			if d.n == 4 {
				out = append(out, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
				d.acc, d.n = 0, 0
			}
		}
	}
	return out
}

func (d *base64Decoder) end(out []byte) []byte {
	switch d.n {
	case 2:
		out = append(out, byte(d.acc>>4))
	case 3:
		out = append(out, byte(d.acc>>10), byte(d.acc>>2))
	}
	d.acc, d.n = 0, 0
	return out
}

// base64Value is the value of an alphabet character, or -1.
func base64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// qpDecoder decodes quoted-printable (RFC 2045 §6.7) leniently, as a
// state machine so that it streams: "=XX" (either case) is an octet, "="
// before a line break (with white space between, which rule 3 says was
// added in transit) is a soft line break, white space at the end of a line
// is removed (rule 3), and anything else, including a "=" that starts no
// valid sequence and 8-bit octets, is kept as it is. Line breaks are kept
// as written.
type qpDecoder struct {
	state qpState
	hi    byte   // the first hex digit, in qpHex
	ws    []byte // white space not yet known to be inside a line
}

type qpState int

const (
	qpText    qpState = iota
	qpEqual           // after "="
	qpHex             // after "=" and one hex digit
	qpEqualWS         // after "=" and white space: soft break if a line break follows
	qpEqualCR         // after "=" [white space] CR
)

func newQPReader(r io.Reader) io.Reader { return newDecodeReader(r, &qpDecoder{}) }

func (d *qpDecoder) write(out, in []byte) []byte {
	for _, c := range in {
		out = d.byte(out, c)
	}
	return out
}

func (d *qpDecoder) byte(out []byte, c byte) []byte {
	switch d.state {
	case qpEqual:
		return d.afterEqual(out, c)
	case qpHex:
		d.state = qpText
		if v, ok := hexValue(c); ok {
			h, _ := hexValue(d.hi)
			return append(out, h<<4|v)
		}
		return d.text(append(out, '=', d.hi), c)
	case qpEqualWS:
		return d.afterEqualWS(out, c)
	case qpEqualCR:
		d.state = qpText
		if c == '\n' {
			return out
		}
		return d.text(out, c) // "=" CR alone: a soft break all the same
	}
	return d.text(out, c)
}

func (d *qpDecoder) afterEqual(out []byte, c byte) []byte {
	switch {
	case c == '\n':
		d.state = qpText
	case c == '\r':
		d.state = qpEqualCR
	case c == ' ' || c == '\t':
		d.state, d.ws = qpEqualWS, append(d.ws[:0], c)
	default:
		if _, ok := hexValue(c); ok {
			d.state, d.hi = qpHex, c
			return out
		}
		d.state = qpText
		return d.text(append(out, '='), c)
	}
	return out
}

func (d *qpDecoder) afterEqualWS(out []byte, c byte) []byte {
	switch c {
	case ' ', '\t':
		d.ws = append(d.ws, c)
	case '\r':
		d.state, d.ws = qpEqualCR, d.ws[:0]
	case '\n':
		d.state, d.ws = qpText, d.ws[:0]
	default: // not a soft break after all: "=" and the white space are text
		d.state = qpText
		out = append(append(out, '='), d.ws...)
		d.ws = d.ws[:0]
		return d.text(out, c)
	}
	return out
}

// text handles c outside any escape.
func (d *qpDecoder) text(out []byte, c byte) []byte {
	switch c {
	case ' ', '\t':
		d.ws = append(d.ws, c)
		return out
	case '\r', '\n':
		d.ws = d.ws[:0] // rule 3: trailing white space goes
		return append(out, c)
	case '=':
		out = append(out, d.ws...)
		d.ws, d.state = d.ws[:0], qpEqual
		return out
	}
	out = append(out, d.ws...)
	d.ws = d.ws[:0]
	return append(out, c)
}

// end: a final "=" is a soft break, "=X" is text, trailing white space
// goes.
func (d *qpDecoder) end(out []byte) []byte {
	if d.state == qpHex {
		out = append(out, '=', d.hi)
	}
	d.state, d.ws = qpText, d.ws[:0]
	return out
}

// hexValue is the value of a hexadecimal digit of either case.
func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
