package delivery

import (
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// Queue is the durable outbound queue (package queue implements it).
type Queue interface {
	// Enqueue stores the message for rcpts, all in other domains, and returns
	// its queue ID once it survives a crash (docs/architecture.md
	// §Durability). body holds size octets, the Received field included.
	Enqueue(ctx context.Context, env *envelope.Envelope, body io.Reader, size int64, rcpts []envelope.Recipient) (id string, err error)
}

// route is where mail for one recipient goes.
type route struct {
	local  []store.AccountID
	remote []envelope.Recipient // for the queue
	fwd    *forwarding          // remote are forwarded (forward.go), not relayed
}

// relay routes a recipient in another domain. Only an authenticated
// (submission) client may send there: the MX never relays for anyone
// (RFC 5321 §3.6.2, RFC 6409 §4.3).
func (s *Service) relay(env *envelope.Envelope, rcpt envelope.Recipient) (route, *smtpreply.Reply) {
	addr := rcpt.Addr.String()
	switch {
	case env.AuthAccount == "":
		return route{}, smtpreply.RelayDenied(addr)
	case s.cfg.Queue == nil:
		return route{}, smtpreply.RelayUnavailable(addr)
	}
	return route{remote: []envelope.Recipient{rcpt}}, nil
}

// forwarded is the queue recipient for the remote target of an alias
// that rcpt resolved through: its DSN parameters are rcpt's, and its
// original recipient (RFC 3461 §4.2) is rcpt's ORCPT or else rcpt itself.
func forwarded(rcpt envelope.Recipient, target string) (envelope.Recipient, error) {
	a, err := mailaddr.Parse(target)
	if err != nil {
		return envelope.Recipient{}, err
	}
	orcpt := rcpt.ORcpt
	if orcpt == "" {
		orcpt = "rfc822;" + rcpt.Addr.String()
	}
	return envelope.Recipient{Addr: a, Notify: rcpt.Notify, ORcpt: orcpt}, nil
}

// queueGroup is one Enqueue: the remote recipients that go out with one
// reverse path and one prefix, and the indexes of their recipients.
type queueGroup struct {
	fwd    *forwarding // nil: relayed with the message's own reverse path
	rcpts  []envelope.Recipient
	owners []int
}

// queueGroups sorts the remote recipients of the recipients not refused
// yet into one group per forwarding (README "Forwarding and SRS") and
// one for the rest, in order; a recipient twice goes once, with the
// first group that names it.
func (t *ingest) queueGroups() []*queueGroup {
	var groups []*queueGroup
	index := make(map[forwarding]*queueGroup)
	var plain *queueGroup
	seen := make(map[string]bool)
	for i, rt := range t.routes {
		if t.replies[i] != nil || len(rt.remote) == 0 {
			continue
		}
		g := plain
		if rt.fwd != nil {
			g = index[*rt.fwd]
		}
		if g == nil {
			g = &queueGroup{fwd: rt.fwd}
			groups = append(groups, g)
			if rt.fwd == nil {
				plain = g
			} else {
				index[*rt.fwd] = g
			}
		}
		g.owners = append(g.owners, i)
		for _, r := range rt.remote {
			if k := r.Addr.String(); !seen[k] {
				seen[k] = true
				g.rcpts = append(g.rcpts, r)
			}
		}
	}
	return groups
}

// enqueue hands the remote recipients of the recipients not refused yet
// to the queue: one Enqueue for those relayed (duplicates merged), one
// per forwarding address for the forwarded ones, whose reverse path is
// rewritten with SRS and whose copy has the forwarding address in a
// Delivered-To field (forward.go). The message's TLS-Required field goes
// in the envelope (RFC 8689 §3). A failure refuses the recipients of that
// Enqueue, or all of them without env.PerRecipient.
func (s *Service) enqueue(ctx context.Context, t *ingest) {
	for _, g := range t.queueGroups() {
		if len(g.rcpts) == 0 {
			continue
		}
		id, err := s.enqueueGroup(ctx, t, g)
		if err != nil {
			r := s.localError("enqueue", err)
			for _, i := range g.owners {
				t.replies[i] = r
			}
			if !t.env.PerRecipient {
				fill(t.replies, r)
				return
			}
			continue
		}
		attrs := append(t.env.LogAttrs(), "queue_id", id, "rcpts", len(g.rcpts))
		if g.fwd != nil {
			attrs = append(attrs, "forwarded", true)
		}
		s.log.Info("queued for remote delivery", attrs...)
	}
}

func (s *Service) enqueueGroup(ctx context.Context, t *ingest, g *queueGroup) (string, error) {
	env := t.env
	qenv := *env
	qenv.Held = t.held
	h, err := t.facts()
	if err != nil {
		return "", err
	}
	// REQUIRETLS overrides the field (RFC 8689 §4.1).
	qenv.TLSOptional = h.tlsOptional && !env.RequireTLS
	prefix := ""
	if g.fwd != nil {
		if qenv.From, err = s.forwardSender(ctx, env.From, g.fwd.domain); err != nil {
			return "", err
		}
		prefix = deliveredTo(g.fwd.via)
	}
	body, size, err := t.msg.open(prefix + s.received(env, t.auth.results))
	if err != nil {
		return "", err
	}
	return s.cfg.Queue.Enqueue(ctx, &qenv, body, size, g.rcpts)
}
