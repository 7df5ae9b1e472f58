package delivery

import (
	"context"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Signer signs submitted mail (package dkim's Signer): it reads a whole
// message (CRLF line ends) and returns the DKIM-Signature fields to
// prepend, folded and CRLF-terminated, or "" when no key applies to the
// From domain.
type Signer interface {
	Sign(ctx context.Context, msg io.Reader) (string, error)
}

// sign adds the DKIM signature of a submitted message (RFC 6376 §5). It
// runs once Date and Message-ID are fixed (msg.added, prepareSubmission)
// and signs exactly the octets that leave: the added fields and the
// client's message. The signature goes in front of them (RFC 6376 §5.6:
// prepended) and below the trace fields that each destination adds later
// (RFC 5321 §4.4), so the local copies and the queued copy carry the same
// signature over the same octets.
//
// A message whose From domain has no key goes out unsigned. A signing
// error (reading the spooled message, the signature itself) refuses the
// message with 451 4.3.0 and a log reference: the client keeps it and
// tries again, rather than Petrel sending mail the domain's DMARC policy
// may have rejected. This is OpenDKIM's default for internal errors
// (On-InternalError tempfail).
func (s *Service) sign(ctx context.Context, env *envelope.Envelope, msg *message) *smtpreply.Reply {
	if s.cfg.Signer == nil {
		return nil
	}
	r, _, err := msg.open("")
	if err != nil {
		return s.localError("read submitted message for DKIM signing", err)
	}
	sig, err := s.cfg.Signer.Sign(ctx, r)
	if err != nil {
		// The error names no key material and quotes no message text.
		return s.localError("DKIM signing", err)
	}
	if sig == "" {
		s.log.Debug("dkim: no signing key for the From domain; sent unsigned", env.LogAttrs()...)
		return nil
	}
	s.log.Debug("dkim: signed", append(env.LogAttrs(), "signatures", strings.Count(sig, "DKIM-Signature:"))...)
	msg.added = sig + msg.added
	return nil
}
