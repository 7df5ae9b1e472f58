package delivery

import (
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// Filter is the content filter (package rspamd's Filter): it scans a
// message once, whatever its recipients, and never fails (its failure
// policy is in the verdict).
type Filter interface {
	Scan(ctx context.Context, in rspamd.Input, msg io.Reader, size int64) rspamd.Verdict
}

// filtered reports whether a transaction's message goes through
// Config.Filter: mail on the MX from a client that did not log in, and
// submitted mail when Config.FilterSubmission is set (README "Spam and
// abuse").
func (s *Service) filtered(env *envelope.Envelope) bool {
	if s.cfg.Filter == nil {
		return false
	}
	if env.AuthAccount != "" {
		return s.cfg.FilterSubmission
	}
	return env.Listener == ListenerMX && !env.PerRecipient
}

// scan is the content filter stage, after routing (docs/flow.md): rspamd
// refuses the message (reject: 550 5.7.1; soft reject, greylist: 451
// 4.7.1; the one reply after DATA) or lets it through with its verdict
// for the policy stage (SpamJunk) and its X-Spam-Status field, which
// goes above the Authentication-Results field of the local copies.
func (s *Service) scan(ctx context.Context, t *ingest) *smtpreply.Reply {
	env := t.env
	body, size, err := t.msg.open("")
	if err != nil {
		return s.localError("read message for the content filter", err)
	}
	in := rspamd.Input{ID: env.ID, ClientIP: env.ClientIP, ClientHost: env.ClientHost, Helo: env.Helo,
		From: env.ReversePath(), User: env.AuthAccount, TLS: env.TLS, DeliverTo: s.bayesUser(ctx, t)}
	for _, r := range env.Recipients {
		in.Rcpt = append(in.Rcpt, r.Addr.String())
	}
	v := s.cfg.Filter.Scan(ctx, in, body, size)
	t.spam = v
	if env.AuthAccount != "" && v.Action == rspamd.Reject && v.Reply != nil && v.Reply.Code/100 == 5 {
		// Submitted mail the filter rejects is held, not refused nor
		// bounced (README "Spam and abuse"): its remote copies wait in
		// the queue for the operator (petrel queue retry releases,
		// queue delete drops), its local ones go to Junk.
		t.held = true
		t.spam.Action, t.spam.Reply = rspamd.Junk, nil
		s.log.Warn("submitted message held by the content filter", append(env.LogAttrs(), "action", v.Result.Action,
			"score", v.Result.Score)...)
		return nil
	}
	if v.Reply != nil {
		s.log.Info("message refused by the content filter", append(env.LogAttrs(), "action", v.Result.Action,
			"score", v.Result.Score, "code", v.Reply.Code)...)
		return v.Reply
	}
	if v.Action == rspamd.Junk {
		s.log.Info("message filed as junk by the content filter", append(env.LogAttrs(), "action", v.Result.Action,
			"score", v.Result.Score)...)
	}
	return nil
}

// bayesUser is the Bayes user of a per-user classifier for the scan: the
// primary address of the one account the message goes to, as the
// Learner names it when the user files a message in or out of Junk; ""
// when it goes to several accounts or none.
func (s *Service) bayesUser(ctx context.Context, t *ingest) string {
	var only store.AccountID
	for i, rt := range t.routes {
		if t.replies[i] != nil {
			continue
		}
		for _, id := range rt.local {
			if only != 0 && only != id {
				return ""
			}
			only = id
		}
	}
	if only == 0 {
		return ""
	}
	a, err := s.st.Account(ctx, only)
	if err != nil {
		return ""
	}
	return a.Address
}

// SpamJunk is the policy for the content filter's junk verdict (rspamd's
// "add header" and "rewrite subject", Message.Spam): the copy goes to
// the account's Junk mailbox (RFC 6154 \Junk; INBOX when it has none),
// marked $Junk.
type SpamJunk struct{}

// Decide implements Policy.
func (SpamJunk) Decide(_ context.Context, m *Message, _ Rcpt) (Action, error) {
	if m.Spam.Action != rspamd.Junk {
		return Action{}, nil
	}
	return Action{SpecialUse: store.UseJunk, Keywords: []string{JunkKeyword}}, nil
}
