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
	// errChanged: Apply read a message other than the one scanned.
	errChanged = errors.New("mime7bit: the message differs from the one scanned")
)

// Unconvertible reports whether err says the message cannot be made
// 7-bit (any other error came from reading or writing).
func Unconvertible(err error) bool {
	return errors.Is(err, ErrHeader8Bit) || errors.Is(err, ErrBinary) ||
		errors.Is(err, ErrUnencodable) || errors.Is(err, ErrLimit)
}

// Plan says which entities of one message get new bodies.
type Plan struct {
	convert []int // entity numbers in walking order, ascending
}

// Needed reports whether the message has 8-bit content to convert; when
// it does not, the message is 7-bit and is sent as it is.
func (p *Plan) Needed() bool { return len(p.convert) > 0 }

// Scan reads a message (header and body) and finds the parts to convert.
func Scan(r io.Reader) (*Plan, error) {
	p := &Plan{}
	wk := &walker{lr: newLineReader(r), out: io.Discard, plan: p}
	if err := wk.message(); err != nil {
		return nil, err
	}
	return p, nil
}

// Apply reads the message that was scanned again and writes it to w with
// the planned parts converted. Without conversions it copies r to w.
func (p *Plan) Apply(r io.Reader, w io.Writer) error {
	if !p.Needed() {
		_, err := io.Copy(w, r)
		return err
	}
	bw := bufio.NewWriter(w)
	wk := &walker{lr: newLineReader(r), out: bw, plan: p, apply: true}
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
