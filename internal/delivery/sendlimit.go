package delivery

import (
	"context"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// SendLimiter bounds what one authenticated account sends (package
// sendlimit; README "Spam and abuse").
type SendLimiter interface {
	// Check decides whether account may have a transaction with rcpts
	// recipients (0: one more message at all); nil means yes.
	Check(ctx context.Context, account string, rcpts int) *smtpreply.Reply
	// Record counts one message sent to rcpts recipients.
	Record(ctx context.Context, account string, rcpts int)
}

// checkSendLimit applies Config.SendLimit to a submission transaction
// with extra recipients more than it has: at MAIL FROM (0) and at each
// RCPT TO (1). Mail without authentication has no such limit.
func (s *Service) checkSendLimit(ctx context.Context, env *envelope.Envelope, extra int) *smtpreply.Reply {
	if s.cfg.SendLimit == nil || env.AuthAccount == "" {
		return nil
	}
	if extra == 0 {
		return s.cfg.SendLimit.Check(ctx, env.AuthAccount, 0)
	}
	return s.cfg.SendLimit.Check(ctx, env.AuthAccount, len(env.Recipients)+extra)
}

// recordSent counts a submitted message against its account's limits,
// with the recipients it was accepted for.
func (s *Service) recordSent(ctx context.Context, env *envelope.Envelope, replies []*smtpreply.Reply) {
	if s.cfg.SendLimit == nil || env.AuthAccount == "" {
		return
	}
	n := 0
	for _, r := range replies {
		if r == nil {
			n++
		}
	}
	if n > 0 {
		s.cfg.SendLimit.Record(ctx, env.AuthAccount, n)
	}
}
