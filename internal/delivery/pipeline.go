package delivery

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

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
	auth    inboundAuth               // what the checks decided (inbound.go)
	spam    rspamd.Verdict            // what the content filter decided (filter.go)
	held    bool                      // the filter rejected submitted mail: queued held (filter.go)
	routes  []route                   // per recipient
	replies []*smtpreply.Reply        // per recipient; nil = not refused
	send    [][]Outgoing              // per recipient: what its policies asked to send
	stored  [][]func(context.Context) // per recipient: Action.Stored
	head    *headerFacts              // read once when needed (forward.go)
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
	ctx = withSendBudget(ctx)
	t := &ingest{env: env, msg: &message{body: body, size: size},
		replies: make([]*smtpreply.Reply, len(env.Recipients)), send: make([][]Outgoing, len(env.Recipients)),
		stored: make([][]func(context.Context), len(env.Recipients))}
	if r := s.check(ctx, t); r != nil {
		return fill(t.replies, r)
	}
	s.deliverLocal(ctx, t)
	if fail := firstFailure(t.replies); fail != nil && !env.PerRecipient {
		return t.replies
	}
	s.enqueue(ctx, t)
	t.runStored(ctx)
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
	if r := s.checkLoops(t); r != nil {
		return r
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

// runStored runs the Action.Stored of the recipients that got the
// message.
func (t *ingest) runStored(ctx context.Context) {
	for i, fs := range t.stored {
		if t.replies[i] != nil {
			continue
		}
		for _, f := range fs {
			f(ctx)
		}
	}
}

// sendOutgoing sends the messages the policies asked to send, for the
// recipients that got the message (sendPolicyMessage). They are new mail
// of their own: a failure is logged, and changes no reply; a forwarded
// copy that replaced an account's keep (Outgoing.Keeps) and could not go
// is stored in that account's INBOX instead (keepUnsent).
func (s *Service) sendOutgoing(ctx context.Context, t *ingest) {
	kept := make(map[store.AccountID]bool)
	for i, out := range t.send {
		if t.replies[i] != nil {
			continue
		}
		for _, o := range out {
			if o.Envelope.ID == "" {
				o.Envelope.ID = obs.NewID()
			}
			log := append(t.env.LogAttrs(), "policy_msg_id", o.Envelope.ID)
			if !s.sendPolicyMessage(ctx, t, i, o, log) && o.Keeps != 0 && !kept[o.Keeps] {
				kept[o.Keeps] = true
				s.keepUnsent(ctx, t.env, o, log)
			}
		}
	}
}

// keepUnsent stores a forwarded copy that replaced the keep of account
// o.Keeps, and could not be sent, in that account's INBOX, with the
// Return-Path it had (RFC 5228 §2.10.6: a failed action keeps the
// message). A store that fails too is logged.
func (s *Service) keepUnsent(ctx context.Context, env *envelope.Envelope, o Outgoing, log []any) {
	log = append(log, "account", o.Keeps)
	body := append([]byte("Return-Path: <"+o.Envelope.ReversePath()+">\r\n"), o.Body...)
	res, err := s.st.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(body), InternalDate: env.Received},
		[]store.Target{{Account: o.Keeps}})
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	if err != nil {
		s.log.Error("delivery: a forwarded copy not sent and not kept", append(log, "err", err)...)
		return
	}
	s.log.Warn("delivery: a forwarded copy not sent; kept in the INBOX instead", log...)
}

// sendPolicyMessage sends one message of recipient i's policies and
// reports whether every recipient got it (queued or delivered): a
// forwarded copy (Outgoing.Forward) loses the Return-Path of its stored
// copy and is not sent when it went round already (a Delivered-To field
// naming Via, or MaxHops Received fields; forward.go), else gets
// Delivered-To: Via on top; a message to sign gets its DKIM signature.
// Its recipients in our domains get it through Deliver, so that their
// own aliases and filters run (the loop check stops A -> B -> A); the
// others through the queue, a forwarded copy with its sender rewritten
// by SRS.
func (s *Service) sendPolicyMessage(ctx context.Context, t *ingest, i int, o Outgoing, log []any) bool {
	env, body := o.Envelope, o.Body
	if o.Forward {
		var ok bool
		if body, ok = s.forwardable(body, o.Via, log); !ok {
			return false
		}
	}
	if o.Sign && s.cfg.Signer != nil {
		sig, err := s.cfg.Signer.Sign(ctx, bytes.NewReader(body))
		if err != nil {
			s.log.Warn("delivery: a policy's message not signed", append(log, "err", err)...)
		}
		body = append([]byte(sig), body...)
	}
	if o.Forward {
		body = append([]byte(deliveredTo(o.Via)), body...)
	}
	sent := true
	var local, remote []envelope.Recipient
	for _, r := range env.Recipients {
		ours, err := s.isLocal(ctx, r.Addr.Domain)
		if err != nil {
			s.log.Error("delivery: a policy's message not sent to a recipient", append(log, "rcpt", r.Addr.String(), "err", err)...)
			sent = false
			continue
		}
		if ours {
			local = append(local, r)
		} else {
			remote = append(remote, r)
		}
	}
	if (o.Forward || len(local) > 0) && !spendSend(ctx) {
		s.log.Warn("delivery: a policy's message not sent: too many for one inbound message", append(log, "max", MaxPolicySends)...)
		return false
	}
	if len(local) > 0 && !s.deliverPolicyMessage(ctx, t.env, &env, local, body, log) {
		sent = false
	}
	if len(remote) > 0 {
		env.Recipients = remote
		if !s.queuePolicyMessage(ctx, t.env.Recipients[i].Addr.Domain, o, env, body, log) {
			sent = false
		}
	}
	return sent
}

// deliverPolicyMessage delivers a policy's message to its recipients in
// our domains, as a new transaction (its own ID, trace fields, policies),
// and reports whether every one took it; a recipient it fails for is
// logged.
func (s *Service) deliverPolicyMessage(ctx context.Context, orig, env *envelope.Envelope, rcpts []envelope.Recipient, body []byte, log []any) bool {
	lenv := &envelope.Envelope{ID: env.ID, From: env.From, Recipients: rcpts, Helo: s.cfg.Hostname, Protocol: "local",
		PerRecipient: true, SMTPUTF8: orig.SMTPUTF8, Body: orig.Body, Received: time.Now()}
	ok := true
	for j, r := range s.Deliver(ctx, lenv, bytes.NewReader(body), int64(len(body))) {
		if r != nil {
			ok = false
			s.log.Warn("delivery: a policy's message not delivered locally", append(log, "rcpt", rcpts[j].Addr.String(), "code", r.Code, "enhanced", r.Enhanced.String())...)
		}
	}
	s.log.Info("delivered a policy's message locally", append(log, "rcpts", len(rcpts))...)
	return ok
}

// queuePolicyMessage hands a policy's message to the queue and reports
// whether it took it; a forwarded copy goes with its sender rewritten by
// SRS for the forwarding domain (Via's, else rcptDomain, the domain of
// the recipient that forwards).
func (s *Service) queuePolicyMessage(ctx context.Context, rcptDomain string, o Outgoing, env envelope.Envelope, body []byte, log []any) bool {
	if s.cfg.Queue == nil {
		s.log.Error("delivery: a policy's message not sent: no outbound queue", log...)
		return false
	}
	if o.Forward {
		domain := rcptDomain
		if _, d, ok := strings.Cut(o.Via, "@"); ok {
			domain = d
		}
		from, err := s.forwardSender(ctx, env.From, s.srsDomain(domain))
		if err != nil {
			// Sent with the original sender: its SPF may fail at the
			// next hop, but the copy is not lost.
			s.log.Warn("delivery: forwarded copy sent without SRS", append(log, "err", err)...)
		} else {
			env.From = from
		}
	}
	id, err := s.cfg.Queue.Enqueue(ctx, &env, bytes.NewReader(body), int64(len(body)), env.Recipients)
	if err != nil {
		s.log.Error("delivery: queueing a policy's message", append(log, "err", err)...)
		return false
	}
	s.log.Info("queued a policy's message", append(log, "queue_id", id, "rcpts", len(env.Recipients))...)
	return true
}
