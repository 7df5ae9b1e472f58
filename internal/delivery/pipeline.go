package delivery

import (
	"bytes"
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// ingest is one Deliver call on its way through the stages of
// docs/flow.md: checks, per-recipient policy, store or queue.
type ingest struct {
	env     *envelope.Envelope
	msg     *message
	auth    inboundAuth        // what the checks decided (inbound.go)
	spam    rspamd.Verdict     // what the content filter decided (filter.go)
	held    bool               // the filter rejected submitted mail: queued held (filter.go)
	routes  []route            // per recipient
	replies []*smtpreply.Reply // per recipient; nil = not refused
	send    [][]Outgoing       // per recipient: what its policies asked to send
}

// Deliver stores the message for every local recipient of env: one copy
// per resolved account (shared blob), with Return-Path and Received
// prepended, where the policies put it (INBOX unless one says otherwise);
// the recipients in other domains (and remote alias targets) go to the
// queue in one Enqueue, with Received prepended. It runs the stages in
// order (docs/flow.md):
//
//  1. checks (check): the submission rules (submission.go), the
//     authentication of mail on the MX (inbound.go), routing, and the DKIM
//     signature of submitted mail (sign.go);
//  2. policy (decide, policy.go): the chain of Config.Policies for every
//     local copy, on the metadata parsed once here (meta.go);
//  3. store (the local copies, with that metadata) or queue (the remote
//     recipients); then the messages the policies asked to send go to the
//     queue.
//
// Deliver returns one reply per recipient (nil = delivered) once the store
// and the queue have made the message durable. Without env.PerRecipient
// the delivery is all or nothing and every recipient gets the same reply;
// the local copies are stored before the enqueue, so only a failing queue
// can leave a retried message delivered twice locally.
func (s *Service) Deliver(ctx context.Context, env *envelope.Envelope, body io.Reader, size int64) []*smtpreply.Reply {
	t := &ingest{env: env, msg: &message{body: body, size: size},
		replies: make([]*smtpreply.Reply, len(env.Recipients)), send: make([][]Outgoing, len(env.Recipients))}
	if r := s.check(ctx, t); r != nil {
		return fill(t.replies, r)
	}
	s.deliverLocal(ctx, t)
	if fail := firstFailure(t.replies); fail != nil && !env.PerRecipient {
		return t.replies
	}
	s.enqueue(ctx, t)
	s.sendOutgoing(ctx, t)
	s.recordSent(ctx, env, t.replies)
	return t.replies
}

// check is the first stage. A submitted message (env.AuthAccount set) is
// checked and completed first, mail on the MX authenticated; then every
// recipient is routed, and a submitted message signed. A reply refuses
// the whole message; refused recipients get theirs in t.replies (all of
// them the first refusal without env.PerRecipient).
func (s *Service) check(ctx context.Context, t *ingest) *smtpreply.Reply {
	env := t.env
	if env.AuthAccount != "" {
		if r := s.prepareSubmission(ctx, env, t.msg); r != nil {
			return r
		}
	}
	if s.checked(env) {
		if r := s.authenticate(ctx, t); r != nil {
			return r
		}
	}
	if s.screened(env) { // greylisting (screen.go)
		if r := s.screen(ctx, t); r != nil {
			return r
		}
	}
	t.routes = make([]route, len(env.Recipients))
	for i, rcpt := range env.Recipients {
		t.routes[i], t.replies[i] = s.route(ctx, env, rcpt)
	}
	if fail := firstFailure(t.replies); fail != nil && !env.PerRecipient {
		return fail
	}
	if s.filtered(env) {
		if r := s.scan(ctx, t); r != nil {
			return r
		}
	}
	if env.AuthAccount != "" {
		return s.sign(ctx, env, t.msg)
	}
	return nil
}

// deliverLocal runs the policy stage for the local copies of the
// recipients not refused yet, stores the copies, and sets the replies of
// those it fails for or the policies refuse.
func (s *Service) deliverLocal(ctx context.Context, t *ingest) {
	if !t.hasLocal() {
		return
	}
	trace := s.traceHeaders(t.env, t.spam.Header+t.auth.results)
	meta, err := t.msg.meta(trace)
	if err != nil {
		fill(t.replies, s.localError("parse message", err))
		return
	}
	m := &Message{Envelope: t.env, Meta: meta, Auth: t.auth.verdict, Spam: t.spam,
		size: t.msg.size + int64(len(trace)+len(t.msg.added)),
		open: func() (io.Reader, error) { r, _, err := t.msg.open(trace); return r, err }}
	targets, owners := s.decide(ctx, t, m)
	if fail := firstFailure(t.replies); fail != nil && !t.env.PerRecipient {
		fill(t.replies, fail)
		return
	}
	if len(targets) == 0 {
		return
	}
	body, total, err := t.msg.open(trace)
	var results []store.Delivered
	if err == nil {
		results, err = s.st.Deliver(ctx, store.NewMessage{Body: body, Meta: meta, InternalDate: t.env.Received,
			Atomic: !t.env.PerRecipient}, targets)
	}
	if err != nil {
		fill(t.replies, s.localError("store message", err))
		return
	}
	s.storeResults(ctx, t.env, targets, owners, results, total, t.replies)
}

// hasLocal reports whether a recipient not refused yet has a local copy.
func (t *ingest) hasLocal() bool {
	for i, rt := range t.routes {
		if t.replies[i] == nil && len(rt.local) > 0 {
			return true
		}
	}
	return false
}

// sendOutgoing hands the messages the policies asked to send, for the
// recipients that got the message, to the queue. They are new mail of
// their own: a failure is logged, and changes no reply.
func (s *Service) sendOutgoing(ctx context.Context, t *ingest) {
	for i, out := range t.send {
		if t.replies[i] != nil {
			continue
		}
		for _, o := range out {
			env := o.Envelope
			if env.ID == "" {
				env.ID = obs.NewID()
			}
			if s.cfg.Queue == nil {
				s.log.Error("delivery: a policy's message not sent: no outbound queue", append(t.env.LogAttrs(), "policy_msg_id", env.ID)...)
				continue
			}
			id, err := s.cfg.Queue.Enqueue(ctx, &env, bytes.NewReader(o.Body), int64(len(o.Body)), env.Recipients)
			if err != nil {
				s.log.Error("delivery: queueing a policy's message", append(t.env.LogAttrs(), "policy_msg_id", env.ID, "err", err)...)
				continue
			}
			s.log.Info("queued a policy's message", append(t.env.LogAttrs(), "policy_msg_id", env.ID, "queue_id", id,
				"rcpts", len(env.Recipients))...)
		}
	}
}
