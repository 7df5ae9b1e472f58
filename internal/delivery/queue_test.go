package delivery

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// fakeQueue records what is enqueued.
type fakeQueue struct {
	err  error
	msgs []queued
}

type queued struct {
	env   *envelope.Envelope
	body  string
	size  int64
	rcpts []string
	orcpt []string
}

func (q *fakeQueue) Enqueue(_ context.Context, env *envelope.Envelope, body io.Reader, size int64, rcpts []envelope.Recipient) (string, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	if q.err != nil {
		return "", q.err
	}
	m := queued{env: env, body: string(b), size: size}
	for _, r := range rcpts {
		m.rcpts = append(m.rcpts, r.Addr.String())
		m.orcpt = append(m.orcpt, r.ORcpt)
	}
	q.msgs = append(q.msgs, m)
	return "out1", nil
}

func withQueue(f *fixture) *fakeQueue {
	q := &fakeQueue{}
	f.svc.cfg.Queue = q
	return q
}

func submitted(t *testing.T, rcpts ...string) *envelope.Envelope {
	env := &envelope.Envelope{AuthAccount: "alice@example.org", From: rcpt(t, "alice@example.org").Addr, Protocol: "ESMTPSA"}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, rcpt(t, r))
	}
	return env
}

const fromAlice = "From: Alice <alice@example.org>\r\nDate: Thu, 26 Nov 2026 00:44:17 +0000\r\nMessage-ID: <x@y>\r\n"

func (f *fixture) submit(env *envelope.Envelope, msg string) []*smtpreply.Reply {
	f.t.Helper()
	env.ID = "testid000002"
	return f.svc.Deliver(f.ctx, env, strings.NewReader(msg), int64(len(msg)))
}

// TestNeverAnOpenRelay: without authentication, other domains are refused
// even when there is a queue; with it, they go to the queue.
func TestNeverAnOpenRelay(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	remote := rcpt(t, "someone@remote.example")
	if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, remote); code(r) != "5.7.1" || r.Code != 554 {
		t.Fatalf("unauthenticated RCPT: %v", r)
	}
	if rs := f.deliver(&envelope.Envelope{Recipients: []envelope.Recipient{remote}}, "x"); code(rs[0]) != "5.7.1" || len(q.msgs) != 0 {
		t.Fatalf("unauthenticated Deliver: %v, queued %d", rs[0], len(q.msgs))
	}
	if r := f.svc.CheckRecipient(f.ctx, submitted(t), remote); r != nil {
		t.Fatalf("authenticated RCPT: %v", r)
	}
	f.svc.cfg.Queue = nil
	if r := f.svc.CheckRecipient(f.ctx, submitted(t), remote); code(r) != "4.3.5" {
		t.Fatalf("authenticated RCPT without a queue: %v", r)
	}
}

func TestSubmissionSplitsLocalAndRemote(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	env := submitted(t, "bob@example.org", "someone@remote.example", "other@remote.example", "fwd@example.org")
	rs := f.submit(env, fromAlice+"Subject: hi\r\n\r\nbody\r\n")
	for i, r := range rs {
		if r != nil {
			t.Fatalf("recipient %d: %v", i, r)
		}
	}
	if n := len(f.inbox("bob@example.org")); n != 1 {
		t.Fatalf("bob has %d messages", n)
	}
	if len(q.msgs) != 1 {
		t.Fatalf("%d enqueues, want one", len(q.msgs))
	}
	m := q.msgs[0]
	if strings.Join(m.rcpts, ",") != "someone@remote.example,other@remote.example" {
		t.Fatalf("queued recipients %q (the alias target is the same address, merged)", m.rcpts)
	}
	if !strings.HasPrefix(m.body, "Received: from ") || strings.Contains(m.body, "Return-Path") ||
		!strings.Contains(m.body, "with ESMTPSA") || int64(len(m.body)) != m.size {
		t.Fatalf("queued body (%d, size %d): %q", len(m.body), m.size, m.body)
	}
	if strings.Count(m.body, "alice@example.org") != 1 {
		t.Fatalf("the Received field names the login: %q", m.body)
	}
}

func TestForwardingThroughTheQueue(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	// An MX transaction (no authentication) to an alias with a remote target.
	env := &envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "fwd@example.org")}}
	if r := f.svc.CheckRecipient(f.ctx, env, env.Recipients[0]); r != nil {
		t.Fatalf("RCPT: %v", r)
	}
	if rs := f.deliver(env, "x"); rs[0] != nil {
		t.Fatalf("Deliver: %v", rs[0])
	}
	if len(q.msgs) != 1 || q.msgs[0].rcpts[0] != "someone@remote.example" || q.msgs[0].orcpt[0] != "rfc822;fwd@example.org" {
		t.Fatalf("queued %+v", q.msgs)
	}
}

func TestEnqueueFailureFailsTheMessage(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	q.err = errors.New("queue disk on fire")
	rs := f.submit(submitted(t, "bob@example.org", "someone@remote.example"), fromAlice+"\r\nx\r\n")
	for i, r := range rs {
		if r == nil || r.Code != 451 || strings.Contains(r.Text, "fire") {
			t.Fatalf("recipient %d: %v", i, r)
		}
	}
	// LMTP-style per-recipient outcome: the local recipient keeps its
	// delivery.
	env := &envelope.Envelope{PerRecipient: true, Recipients: []envelope.Recipient{rcpt(t, "alice@example.org"), rcpt(t, "fwd@example.org")}}
	rs = f.deliver(env, "x")
	if rs[0] != nil || rs[1] == nil || rs[1].Code != 451 {
		t.Fatalf("per recipient: %v, %v", rs[0], rs[1])
	}
}

// TestTLSRequiredField: the queue learns of "TLS-Required: No" (RFC 8689
// §3, any case, folded), unless the message carries REQUIRETLS, which
// overrides it (§4.1); other values, or the field in the body, do not
// count.
func TestTLSRequiredField(t *testing.T) {
	cases := []struct {
		name, header string
		requireTLS   bool
		want         bool
	}{
		{"no", "TLS-Required: No\r\n", false, true},
		{"case and folding", "tls-required:\r\n no \r\n", false, true},
		{"other value", "TLS-Required: yes\r\n", false, false},
		{"absent", "", false, false},
		{"REQUIRETLS wins", "TLS-Required: No\r\n", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			q := withQueue(f)
			env := submitted(t, "someone@remote.example")
			env.RequireTLS = c.requireTLS
			if rs := f.submit(env, fromAlice+c.header+"Subject: hi\r\n\r\nTLS-Required: No\r\n"); rs[0] != nil {
				t.Fatalf("Deliver: %v", rs[0])
			}
			if len(q.msgs) != 1 {
				t.Fatalf("%d enqueues", len(q.msgs))
			}
			m := q.msgs[0]
			if m.env.TLSOptional != c.want || m.env.RequireTLS != c.requireTLS {
				t.Fatalf("queued with TLSOptional %v, RequireTLS %v; want %v, %v", m.env.TLSOptional, m.env.RequireTLS, c.want, c.requireTLS)
			}
			if !strings.Contains(m.body, "Subject: hi\r\n\r\nTLS-Required: No\r\n") {
				t.Fatalf("queued body changed: %q", m.body)
			}
		})
	}
}
