package mime7bit

import (
	"bufio"
	"errors"
	"io"
)

// The errors for a message that cannot be made 7-bit.
var (
	// ErrHeader8Bit: a header field has 8-bit octets (RFC 6532 needs
	// SMTPUTF8 for those; no MIME encoding applies to a whole field).
	ErrHeader8Bit = errors.New("mime7bit: 8-bit octets in a header field")
	// ErrBinary: a part declared "binary" has 8-bit octets.
	ErrBinary = errors.New("mime7bit: 8-bit octets in a binary part")
	// ErrUnencodable: 8-bit octets where no encoding may be applied: a
	// multipart preamble or epilogue, a part already encoded (base64,
	// quoted-printable, an unknown encoding), a composite type that may
	// not be encoded (RFC 2045 §6.4, RFC 2046 §5.2.2).
	ErrUnencodable = errors.New("mime7bit: 8-bit octets that cannot be encoded")
	// ErrLimit: 8-bit octets in a part nested too deep, or under a
	// Content-Type or Content-Transfer-Encoding field too long to read.
	ErrLimit = errors.New("mime7bit: 8-bit octets beyond the MIME parsing limits")
	// ErrLongLine: a line over MaxLine octets where no encoding may be
	// applied (a multipart preamble or epilogue, a part already encoded,
	// a composite type, or beyond the limits).
	ErrLongLine = errors.New("mime7bit: a line too long where it cannot be encoded")
	// ErrHeaderNUL: a header field has a NUL octet (NoNUL; no encoding
	// applies to a header field).
	ErrHeaderNUL = errors.New("mime7bit: a NUL octet in a header field")
	// ErrNUL: a NUL octet where no encoding may be applied (NoNUL): a
	// multipart preamble or epilogue, a part already encoded or in an
	// unknown encoding, a composite type that may not be encoded, or
	// beyond the limits.
	ErrNUL = errors.New("mime7bit: a NUL octet that cannot be encoded")
	// errChanged: Apply read a message other than the one scanned.
	errChanged = errors.New("mime7bit: the message differs from the one scanned")
)

// Unconvertible reports whether err says the message cannot be converted
// as the need asks: made 7-bit, its lines short, or rid of NUL (any other
// error came from reading or writing).
func Unconvertible(err error) bool {
	return errors.Is(err, ErrHeader8Bit) || errors.Is(err, ErrBinary) ||
		errors.Is(err, ErrUnencodable) || errors.Is(err, ErrLimit) || errors.Is(err, ErrLongLine) ||
		errors.Is(err, ErrHeaderNUL) || errors.Is(err, ErrNUL)
}

// MaxLine is the longest line SMTP carries, in octets without its CRLF
// (RFC 5321 §4.5.3.1.6, RFC 5322 §2.1.1).
const MaxLine = 998

// Need says what a conversion is for.
type Need uint8

const (
	// SevenBit: a server without 8BITMIME (RFC 6152 §3) takes 7-bit
	// content only.
	SevenBit Need = 1 << iota
	// ShortLines: no server takes lines over MaxLine octets. A part with
	// such lines is re-encoded (quoted-printable) and a header field with
	// such lines is folded (RFC 5322 §2.2.3), at white space where it has
	// some in the first MaxLine octets, else by inserting CRLF SP (the
	// field gains a space there).
	ShortLines
	// NoNUL: a store whose messages IMAP serves in plain literals, where
	// NUL may not go (RFC 9051 §4.3.1). A leaf part whose body holds NUL
	// is re-encoded as base64 (RFC 2045 §6.8; RFC 3516 §4.2), whatever
	// identity encoding it declares (7bit, 8bit, binary, none, and the
	// field read leniently: quoted, with comments); a NUL in a header
	// field is ErrHeaderNUL, anywhere else ErrNUL. Alone it leaves 8-bit
	// octets and long lines as they are.
	NoNUL
)

// Plan says which entities of one message get new bodies, and whether
// header fields get folded.
type Plan struct {
	need    Need
	convert []conversion // in walking order, ascending
	fold    bool         // a header line is over MaxLine octets
}

// conversion is an entity whose body gets re-encoded.
type conversion struct {
	n      int  // the entity's number in walking order
	base64 bool // base64 (NoNUL) rather than quoted-printable
}

// Needed reports whether the message has content to convert; when it
// does not, it is sent as it is.
func (p *Plan) Needed() bool { return len(p.convert) > 0 || p.fold }

// Scan reads a message (header and body) and finds the parts to convert
// for a server without 8BITMIME: 8-bit parts and lines over MaxLine.
func Scan(r io.Reader) (*Plan, error) { return ScanFor(r, SevenBit|ShortLines) }

// ScanFor reads a message and finds the parts to convert for need.
func ScanFor(r io.Reader, need Need) (*Plan, error) {
	p := &Plan{need: need}
	wk := &walker{lr: newLineReader(r), out: io.Discard, plan: p, need: need}
	if err := wk.message(); err != nil {
		return nil, err
	}
	return p, nil
}

// HasLongLine reports whether a line of r is over MaxLine octets (a
// quick test before ScanFor with ShortLines).
func HasLongLine(r io.Reader) (bool, error) {
	lr := newLineReader(r)
	n := 0
	for {
		p, _, err := lr.next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if p.start {
			n = 0
		}
		if n += len(p.text); n > MaxLine {
			return true, nil
		}
	}
}

// Apply reads the message that was scanned again and writes it to w with
// the planned parts converted. Without conversions it copies r to w.
func (p *Plan) Apply(r io.Reader, w io.Writer) error {
	if !p.Needed() {
		_, err := io.Copy(w, r)
		return err
	}
	bw := bufio.NewWriter(w)
	wk := &walker{lr: newLineReader(r), out: bw, plan: p, apply: true, need: p.need}
	if err := wk.message(); err != nil {
		return err
	}
	if wk.conv != len(p.convert) {
		return errChanged
	}
	return bw.Flush()
}

// Convert converts the message in r to w: Scan, then Apply from the
// start of r again. converted is false when the message was already 7-bit
// and w got it unchanged.
func Convert(r io.ReadSeeker, w io.Writer) (converted bool, err error) {
	p, err := Scan(r)
	if err != nil {
		return false, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	return p.Needed(), p.Apply(r, w)
}
