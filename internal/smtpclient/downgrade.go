package smtpclient

import (
	"errors"
	"io"

	"github.com/petrelmail/petrel/internal/mime7bit"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// downgrade prepares a message for the server: the 8-bit parts of an
// 8-bit message for a server that does not offer 8BITMIME (RFC 6152 §3),
// and for any server the parts and header fields with lines over 998
// octets, which no server need take (RFC 5321 §4.5.3.1.6): a message
// stored as it came on the MX is never relayed with them (README
// "Outbound"). Parts are sent as quoted-printable, header fields folded
// (s.plan, applied in DATA; SIZE= declares the converted size); when that
// cannot be done, every recipient fails with 554 5.6.3. A message that
// needs nothing is sent as it is.
func (s *session) downgrade() (outcome, bool) {
	if s.plan != nil {
		return outcome{}, true
	}
	n := len(s.m.Rcpts)
	need := mime7bit.ShortLines
	if s.m.EightBit && !s.ext.has("8BITMIME") {
		need |= mime7bit.SevenBit
	} else {
		// The usual case: one quick read finds no long line.
		long, err := readBody(s, mime7bit.HasLongLine)
		if err != nil {
			return s.localError(n, err), false
		}
		if !long {
			return outcome{}, true
		}
	}
	plan, err := readBody(s, func(r io.Reader) (*mime7bit.Plan, error) { return mime7bit.ScanFor(r, need) })
	switch {
	case mime7bit.Unconvertible(err):
		return decided(n, cannotConvert(s.hop.host, err)), false
	case err != nil:
		return s.localError(n, err), false
	case !plan.Needed():
		return outcome{}, true
	}
	m := *s.m
	m.EightBit = m.EightBit && need&mime7bit.SevenBit == 0
	if m.Size > 0 && s.ext.has("SIZE") {
		size, err := readBody(s, func(r io.Reader) (int64, error) {
			var c counter
			err := plan.Apply(r, &c)
			return int64(c), err
		})
		if err != nil {
			return s.localError(n, err), false
		}
		m.Size = size
	}
	s.m, s.plan = &m, plan
	return outcome{}, true
}

// readBody opens the message and hands it to read.
func readBody[T any](s *session, read func(io.Reader) (T, error)) (T, error) {
	body, err := s.m.Body()
	if err != nil {
		var zero T
		return zero, err
	}
	defer func() { _ = body.Close() }()
	return read(body)
}

// counter counts the octets written to it.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}

// cannotConvert: the message must be made 7-bit for host and cannot be
// (RFC 3463 X.6.3, "conversion required but not supported").
func cannotConvert(host string, err error) *smtpreply.Reply {
	why := "8-bit content that cannot be encoded"
	switch {
	case errors.Is(err, mime7bit.ErrLongLine):
		return smtpreply.New(554, smtpreply.Enhanced{5, 6, 3},
			"Conversion required but not supported: the message has lines over 998 octets (RFC 5321 §4.5.3.1.6) where they cannot be encoded")
	case errors.Is(err, mime7bit.ErrHeader8Bit):
		why = "8-bit header fields"
	case errors.Is(err, mime7bit.ErrBinary):
		why = "binary parts"
	}
	return smtpreply.New(554, smtpreply.Enhanced{5, 6, 3},
		"Conversion required but not supported: %s does not support 8BITMIME and the message has %s", host, why)
}
