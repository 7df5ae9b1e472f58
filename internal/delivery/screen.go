package delivery

import (
	"context"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Screener decides on mail on the MX once the checks are done (package
// screen's Inbound): greylisting, and the X-Spam-Screen field that
// reports what connection screening found (README "Spam and abuse").
type Screener interface {
	// Screen returns the field to prepend (CRLF-terminated, "" for
	// none) or a reply refusing the whole message.
	Screen(ctx context.Context, env *envelope.Envelope, v msgauth.Verdict) (string, *smtpreply.Reply)
}

// screened reports whether a transaction is screened: as checked (mail
// from the Internet on the MX), with or without the checks.
func (s *Service) screened(env *envelope.Envelope) bool {
	return s.cfg.Screener != nil && env.Listener == ListenerMX && env.AuthAccount == "" && !env.PerRecipient
}

// screen runs the Screener after the checks; its field goes on top of
// the Authentication-Results field.
func (s *Service) screen(ctx context.Context, t *ingest) *smtpreply.Reply {
	field, r := s.cfg.Screener.Screen(ctx, t.env, t.auth.verdict)
	if r != nil {
		return r
	}
	t.auth.results = field + t.auth.results
	return nil
}
