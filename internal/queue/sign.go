package queue

import (
	"bytes"
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/store"
)

// Signer signs the reports the queue sends with DKIM (package dkim's
// Signer): it reads a whole message (CRLF line ends) and returns the
// DKIM-Signature fields to prepend, folded and CRLF-terminated, or ""
// when no key applies to the From domain.
type Signer interface {
	Sign(ctx context.Context, msg io.Reader) (string, error)
}

// signReport returns a report with the DKIM signature of its From domain
// (MAILER-DAEMON at the host name; the signer falls back to a parent
// domain with keys) prepended (RFC 6376 §5.6), or unchanged without a
// signer or a key. A signing error sends the report unsigned and logs
// it: the sender must still be told (RFC 5321 §6.1), and unlike a
// submission client nobody could be asked to try again.
func (s *Service) signReport(ctx context.Context, m *store.QueuedMessage, data []byte) []byte {
	if s.d.Signer == nil {
		return data
	}
	sig, err := s.d.Signer.Sign(ctx, bytes.NewReader(data))
	if err != nil {
		s.d.Log.Error("dkim: signing a delivery status report failed; sending it unsigned", msgAttrs(m, "err", err)...)
		return data
	}
	if sig == "" {
		return data
	}
	return append([]byte(sig), data...)
}
