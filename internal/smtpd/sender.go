package smtpd

import (
	"context"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// SenderChecker is implemented by a Delivery that decides MAIL FROM: the
// delivery service refuses, on a submission listener, a sender that the
// authenticated user may not use (RFC 6409 §6.1: 553 5.7.1).
type SenderChecker interface {
	CheckSender(ctx context.Context, env *envelope.Envelope) *smtpreply.Reply
}

// checkSender asks the Delivery about the envelope of a new transaction,
// when it decides senders; nil accepts.
func (s *session) checkSender(env *envelope.Envelope) *smtpreply.Reply {
	sc, ok := s.srv.d.(SenderChecker)
	if !ok {
		return nil
	}
	return sc.CheckSender(s.srv.ctx, env)
}
