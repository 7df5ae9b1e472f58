package delivery

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/header"
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

// enqueue hands the remote recipients of the recipients not refused yet
// to the queue in one Enqueue (duplicates merged), with the message's
// TLS-Required field in the envelope (RFC 8689 §3); a failure refuses
// those recipients, or all of them without env.PerRecipient.
func (s *Service) enqueue(ctx context.Context, t *ingest) {
	env, routes, replies := t.env, t.routes, t.replies
	var rcpts []envelope.Recipient
	var owners []int
	seen := make(map[string]bool)
	for i, rt := range routes {
		if replies[i] != nil || len(rt.remote) == 0 {
			continue
		}
		owners = append(owners, i)
		for _, r := range rt.remote {
			if k := r.Addr.String(); !seen[k] {
				seen[k] = true
				rcpts = append(rcpts, r)
			}
		}
	}
	if len(rcpts) == 0 {
		return
	}
	qenv := *env
	qenv.Held = t.held
	optional, err := t.msg.tlsOptional()
	// REQUIRETLS overrides the field (RFC 8689 §4.1).
	qenv.TLSOptional = optional && !env.RequireTLS
	var body io.Reader
	var size int64
	if err == nil {
		body, size, err = t.msg.open(s.received(env, t.auth.results))
	}
	var id string
	if err == nil {
		id, err = s.cfg.Queue.Enqueue(ctx, &qenv, body, size, rcpts)
	}
	if err != nil {
		r := s.localError("enqueue", err)
		for _, i := range owners {
			replies[i] = r
		}
		if !env.PerRecipient {
			fill(replies, r)
		}
		return
	}
	s.log.Info("queued for remote delivery", append(env.LogAttrs(), "queue_id", id, "rcpts", len(rcpts))...)
}

// tlsOptional reports whether the message's header has the field
// "TLS-Required: No" (RFC 8689 §3: the sender asks that the recipient's
// MTA-STS and DANE policies be ignored; README "REQUIRETLS"). The first
// such field counts; a header over header.MaxSection is read up to it.
func (m *message) tlsOptional() (bool, error) {
	var r io.Reader
	if _, ok := m.body.(io.Seeker); ok {
		var err error
		if r, _, err = m.open(""); err != nil {
			return false, err
		}
	} else {
		raw, err := m.readAll() // keeps a body that cannot be rewound
		if err != nil {
			return false, err
		}
		r = bytes.NewReader(raw)
	}
	_, fields, err := header.Read(bufio.NewReader(r), header.MaxSection)
	if err != nil && !errors.Is(err, header.ErrTooLarge) {
		return false, err
	}
	f, ok := header.Get(fields, "TLS-Required")
	return ok && strings.EqualFold(strings.TrimSpace(f.Value()), "No"), nil
}
