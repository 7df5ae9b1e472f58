package delivery

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/srs"
	"github.com/petrelmail/petrel/internal/store"
)

// withSRS gives the fixture's service SRS (its key in the fixture's
// store) and a queue; now is its clock.
func withSRS(f *fixture, now *time.Time) (*fakeQueue, *srs.Rewriter) {
	q := withQueue(f)
	r := srs.New(srs.Config{Now: func() time.Time { return *now }}, f.st)
	f.svc.cfg.SRS = r
	f.must(f.acct.AddAlias(f.ctx, "fwd2@example.org", []string{"other@remote.example"}))
	return q, r
}

// decoded is the original sender of an SRS address, or the test fails.
func (f *fixture) decoded(r *srs.Rewriter, a mailaddr.Address) string {
	f.t.Helper()
	orig, err := r.Reverse(f.ctx, a)
	if err != nil {
		f.t.Fatalf("Reverse(%s): %v", a, err)
	}
	return orig.String()
}

// TestAliasForwardSRS: the remote targets of an alias go out with the
// original sender rewritten by SRS at the alias's domain, one Enqueue
// per alias with its Delivered-To field, the Authentication-Results of
// the checks kept; the local copy keeps the sender.
func TestAliasForwardSRS(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, r := withSRS(f, &now)
	withChecker(f, msgauth.Deliver, nil)
	rs := f.deliverRaw(mx(t, "alice@example.org", "fwd@example.org", "fwd2@example.org"), "From: <s@remote.example>\r\nSubject: hi\r\n\r\nHello.\r\n")
	for i, r := range rs {
		if r != nil {
			t.Fatalf("recipient %d: %v", i, r)
		}
	}
	if len(q.msgs) != 2 {
		t.Fatalf("%d enqueues, want one per alias: %+v", len(q.msgs), q.msgs)
	}
	for k, want := range [][2]string{{"fwd@example.org", "someone@remote.example"}, {"fwd2@example.org", "other@remote.example"}} {
		m := q.msgs[k]
		if !strings.HasPrefix(m.env.From.Local, "SRS0=") || m.env.From.Domain != "example.org" || f.decoded(r, m.env.From) != "s@remote.example" {
			t.Fatalf("enqueue %d: sender %s", k, m.env.From)
		}
		if strings.Join(m.rcpts, ",") != want[1] || !strings.HasPrefix(m.body, "Delivered-To: "+want[0]+"\r\n"+arField+"Received: ") ||
			int64(len(m.body)) != m.size {
			t.Fatalf("enqueue %d: %v %q", k, m.rcpts, m.body)
		}
	}
	if got := f.inbox("alice@example.org"); len(got) != 1 || !strings.HasPrefix(f.body(got[0]), "Return-Path: <s@remote.example>\r\n") {
		t.Fatalf("local copy: %+v", got)
	}
}

// TestForwardSenderKept: the null sender stays null (RFC 5321 §4.5.5), a
// sender of a local domain keeps its address, and without SRS nothing is
// rewritten.
func TestForwardSenderKept(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, _ := withSRS(f, &now)
	for _, from := range []string{"", "bob@example.org"} {
		env := mx(t, "fwd@example.org")
		env.From = mailaddr.Address{}
		if from != "" {
			env.From = rcpt(t, from).Addr
		}
		if rs := f.deliver(env, "x"); rs[0] != nil {
			t.Fatalf("from <%s>: %v", from, rs[0])
		}
		if m := q.msgs[len(q.msgs)-1]; m.env.ReversePath() != from {
			t.Fatalf("from <%s>: queued with <%s>", from, m.env.ReversePath())
		}
	}
	f.svc.cfg.SRS = nil
	if rs := f.deliver(mx(t, "fwd@example.org"), "x"); rs[0] != nil || q.msgs[len(q.msgs)-1].env.ReversePath() != "s@remote.example" {
		t.Fatalf("without SRS: %v, %s", rs[0], q.msgs[len(q.msgs)-1].env.ReversePath())
	}
}

// TestAliasForwardLoop: a message that carries the alias in Delivered-To
// (it went out through it and came back) is refused 550 5.4.6 for that
// recipient; so is one past MaxHops Received fields (554 5.4.6); the
// other recipients of an LMTP transaction keep their delivery.
func TestAliasForwardLoop(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, _ := withSRS(f, &now)
	env := lmtp(t, "alice@example.org", "fwd@example.org")
	rs := f.deliverRaw(env, "Received: by x\r\nDelivered-To: FWD@example.org\r\nSubject: loop\r\n\r\nx\r\n")
	if rs[0] != nil || rs[1] == nil || rs[1].Code != 550 || code(rs[1]) != "5.4.6" || len(q.msgs) != 0 {
		t.Fatalf("Delivered-To loop: %v %v, queued %d", rs[0], rs[1], len(q.msgs))
	}
	hops := strings.Repeat("Received: by relay.example; Sun, 6 Dec 2026 10:00:00 +0000\r\n", MaxHops)
	rs = f.deliverRaw(lmtp(t, "fwd@example.org"), hops+"Subject: loop\r\n\r\nx\r\n")
	if rs[0] == nil || rs[0].Code != 554 || code(rs[0]) != "5.4.6" || len(q.msgs) != 0 {
		t.Fatalf("%d hops: %v, queued %d", MaxHops, rs[0], len(q.msgs))
	}
	rs = f.deliverRaw(lmtp(t, "fwd@example.org"), hops[len(hops)/MaxHops:]+"Delivered-To: other@example.org\r\nSubject: ok\r\n\r\nx\r\n")
	if rs[0] != nil || len(q.msgs) != 1 {
		t.Fatalf("%d hops, another Delivered-To: %v, queued %d", MaxHops-1, rs[0], len(q.msgs))
	}
}

// TestBounceToSRS: a bounce to an SRS address we made goes to the
// original sender through the queue; a forged, expired or foreign one is
// 550 5.1.1 at RCPT and at the end of data, never relayed. An SRS1
// address whose first hop is us decodes to the original sender; one of
// another first hop goes back to it.
func TestBounceToSRS(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, r := withSRS(f, &now)
	srs0, err := r.Forward(f.ctx, rcpt(t, "s@remote.example").Addr, "example.org")
	f.must(err)
	srs1, err := r.Forward(f.ctx, srs0, "example.org")
	f.must(err)
	other := srs.New(srs.Config{}, &memKV{})
	theirs, err := other.Forward(f.ctx, rcpt(t, "u@orig.example").Addr, "first.example")
	f.must(err)
	viaUs, err := r.Forward(f.ctx, theirs, "catch.example")
	f.must(err)
	for _, c := range []struct {
		to   mailaddr.Address
		want string
	}{{srs0, "s@remote.example"}, {srs1, "s@remote.example"}, {viaUs, theirs.String()},
		{mailaddr.Address{Local: strings.ToLower(srs0.Local), Domain: "EXAMPLE.org"}, "s@remote.example"}} {
		env := mx(t)
		env.From, env.Recipients = mailaddr.Address{}, []envelope.Recipient{{Addr: c.to}}
		if r := f.svc.CheckRecipient(f.ctx, env, env.Recipients[0]); r != nil {
			t.Fatalf("RCPT %s: %v", c.to, r)
		}
		if rs := f.deliver(env, "bounce"); rs[0] != nil {
			t.Fatalf("bounce to %s: %v", c.to, rs[0])
		}
		m := q.msgs[len(q.msgs)-1]
		if len(m.rcpts) != 1 || !strings.EqualFold(m.rcpts[0], c.want) || !m.env.From.IsZero() {
			t.Fatalf("bounce to %s: queued <%s> -> %v, want %s", c.to, m.env.ReversePath(), m.rcpts, c.want)
		}
	}
	sent := len(q.msgs)
	h := []byte(srs0.Local)
	h[5] ^= 1
	now = now.Add(22 * 24 * time.Hour)
	for _, to := range []mailaddr.Address{srs0, {Local: string(h), Domain: "example.org"}, {Local: theirs.Local, Domain: "example.org"}} {
		env := mx(t)
		env.From, env.Recipients = mailaddr.Address{}, []envelope.Recipient{{Addr: to}}
		if r := f.svc.CheckRecipient(f.ctx, env, env.Recipients[0]); r == nil || code(r) != "5.1.1" {
			t.Fatalf("RCPT %s: %v", to, r)
		}
		if rs := f.deliver(env, "bounce"); rs[0] == nil || code(rs[0]) != "5.1.1" {
			t.Fatalf("bounce to %s: %v", to, rs[0])
		}
	}
	// A catch-all takes a bad one, as any unknown address of its domain.
	env := mx(t)
	env.Recipients = []envelope.Recipient{{Addr: mailaddr.Address{Local: string(h), Domain: "catch.example"}}}
	if rs := f.deliver(env, "to the catch-all"); rs[0] != nil || len(f.inbox("bob@example.org")) != 1 {
		t.Fatalf("bad SRS address at a catch-all domain: %v, bob has %d", rs[0], len(f.inbox("bob@example.org")))
	}
	if len(q.msgs) != sent {
		t.Fatalf("relayed for a bad SRS address: %+v", q.msgs[sent:])
	}
}

// memKV is a KV for a second SRS installation.
type memKV struct{ m map[string][]byte }

func (k *memKV) KVCreate(_ context.Context, key string, v []byte) error {
	if k.m == nil {
		k.m = map[string][]byte{}
	}
	k.m[key] = v
	return nil
}

func (k *memKV) KVLoad(_ context.Context, key string) ([]byte, error) {
	if v, ok := k.m[key]; ok {
		return v, nil
	}
	return nil, errNoKV
}

var errNoKV = store.Errorf(store.KindNotFound, "load", "no key")

// redirectPolicy redirects the copy of each account named in to, as a
// Sieve redirect does (a forwarded copy of the message as stored).
type redirectPolicy struct {
	to   map[string]string // account address -> target
	sign bool
}

func (p redirectPolicy) Decide(_ context.Context, m *Message, rcpt Rcpt) (Action, error) {
	target, ok := p.to[rcpt.Addr.String()]
	if !ok {
		return Action{}, nil
	}
	r, err := m.Open()
	if err != nil {
		return Action{}, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return Action{}, err
	}
	a, err := mailaddr.Parse(target)
	if err != nil {
		return Action{}, err
	}
	env := envelope.Envelope{From: m.Envelope.From, Recipients: []envelope.Recipient{{Addr: a}}}
	return Action{Send: []Outgoing{{Envelope: env, Body: raw, Forward: true, Via: rcpt.Addr.String(), Sign: p.sign}}}, nil
}

// TestOutgoingForwardRemote: a redirect to another domain goes to the
// queue with an SRS sender, Delivered-To on top, the stored copy's
// Authentication-Results and Received kept and its Return-Path gone.
func TestOutgoingForwardRemote(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, r := withSRS(f, &now)
	withChecker(f, msgauth.Deliver, nil)
	withPolicies(f, redirectPolicy{to: map[string]string{"alice@example.org": "x@remote.test"}})
	if rs := f.deliverRaw(mx(t, "alice@example.org"), "From: <s@remote.example>\r\nSubject: hi\r\n\r\nHello.\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	if len(q.msgs) != 1 {
		t.Fatalf("queued %+v", q.msgs)
	}
	m := q.msgs[0]
	if f.decoded(r, m.env.From) != "s@remote.example" || m.env.From.Domain != "example.org" || strings.Join(m.rcpts, ",") != "x@remote.test" {
		t.Fatalf("queued from %s to %v", m.env.From, m.rcpts)
	}
	if !strings.HasPrefix(m.body, "Delivered-To: alice@example.org\r\n"+arField+"Received: from mail.remote.example") ||
		strings.Contains(m.body, "Return-Path") || !strings.HasSuffix(m.body, "Subject: hi\r\n\r\nHello.\r\n") {
		t.Fatalf("forwarded copy %q", m.body)
	}
	if len(f.inbox("alice@example.org")) != 1 {
		t.Fatal("the copy was not kept")
	}
}

// TestOutgoingForwardLocal: a redirect to one of our addresses is
// delivered here (its own policies run), not queued; a loop A -> B -> A
// stops at the second pass through A.
func TestOutgoingForwardLocal(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, _ := withSRS(f, &now)
	withPolicies(f, redirectPolicy{to: map[string]string{"alice@example.org": "bob@example.org"}})
	if rs := f.deliverRaw(mx(t, "alice@example.org"), "Subject: hi\r\n\r\nHello.\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	bob := f.inbox("bob@example.org")
	if len(q.msgs) != 0 || len(bob) != 1 || len(f.inbox("alice@example.org")) != 1 {
		t.Fatalf("queued %d, bob %d", len(q.msgs), len(bob))
	}
	if b := f.body(bob[0]); !strings.HasPrefix(b, "Return-Path: <s@remote.example>\r\nReceived: from mx.example.net (local socket)") ||
		!strings.Contains(b, "\r\nDelivered-To: alice@example.org\r\nReceived: from mail.remote.example") || strings.Count(b, "Return-Path") != 1 {
		t.Fatalf("bob's copy %q", b)
	}

	f.logs.Reset()
	withPolicies(f, redirectPolicy{to: map[string]string{"alice@example.org": "bob@example.org", "bob@example.org": "alice@example.org"}})
	if rs := f.deliverRaw(mx(t, "alice@example.org"), "Subject: loop\r\n\r\nHello.\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	if a, b := len(f.inbox("alice@example.org")), len(f.inbox("bob@example.org")); a != 3 || b != 2 || len(q.msgs) != 0 {
		t.Fatalf("loop: alice %d (want 1+2), bob %d (want 1+1), queued %d", a, b, len(q.msgs))
	}
	if !strings.Contains(f.logs.String(), "came through here already (loop)") {
		t.Fatalf("loop not logged: %s", f.logs)
	}
}

// TestOutgoingSign: a policy's message with Sign gets the DKIM signature
// of its From domain; a forwarded copy past MaxHops is not sent.
func TestOutgoingSign(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, _ := withSRS(f, &now)
	withSigner(f, dkim.Ed25519)
	withPolicies(f, redirectPolicy{to: map[string]string{"alice@example.org": "x@remote.test"}, sign: true})
	if rs := f.deliverRaw(mx(t, "alice@example.org"), "From: <bob@example.org>\r\nSubject: hi\r\n\r\nHello.\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	if len(q.msgs) != 1 || !strings.HasPrefix(q.msgs[0].body, "Delivered-To: alice@example.org\r\nDKIM-Signature: ") {
		t.Fatalf("queued %+v", q.msgs)
	}
	hops := strings.Repeat("Received: by relay.example; Sun, 6 Dec 2026 10:00:00 +0000\r\n", MaxHops-1)
	if rs := f.deliverRaw(mx(t, "alice@example.org"), hops+"Subject: hi\r\n\r\nHello.\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	if len(q.msgs) != 1 || !strings.Contains(f.logs.String(), "too many hops") {
		t.Fatalf("a copy past %d hops was sent: %d queued", MaxHops, len(q.msgs))
	}
}

func TestStripReturnPath(t *testing.T) {
	for in, want := range map[string]string{
		"Return-Path: <a@b>\r\nReturn-path:\r\n <c@d>\r\nX: y\r\n\r\nb": "X: y\r\n\r\nb",
		"X: y\r\nReturn-Path: <a@b>\r\n\r\nb":                           "X: y\r\nReturn-Path: <a@b>\r\n\r\nb",
		"Return-Path: <a@b>":                                            "",
	} {
		if got := string(stripReturnPath([]byte(in))); got != want {
			t.Errorf("stripReturnPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// An SRS address of ours takes only bounces (the null reverse path, RFC
// 5321 §4.5.5): a valid one to anyone else is 550 5.7.1 at RCPT and at the
// end of data, and nothing is relayed, else anyone who got a forwarded
// copy could send anything to its original sender.
func TestSRSNonNullSenderRefused(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	q, r := withSRS(f, &now)
	srs0, err := r.Forward(f.ctx, rcpt(t, "victim@remote.example").Addr, "example.org")
	f.must(err)
	env := mx(t) // MAIL FROM:<s@remote.example>
	env.Recipients = []envelope.Recipient{{Addr: srs0}}
	if r := f.svc.CheckRecipient(f.ctx, env, env.Recipients[0]); r == nil || r.Code != 550 || code(r) != "5.7.1" {
		t.Fatalf("RCPT %s from <s@remote.example>: %v, want 550 5.7.1", srs0, r)
	}
	if rs := f.deliver(env, "spam for the victim"); rs[0] == nil || rs[0].Code != 550 || code(rs[0]) != "5.7.1" {
		t.Fatalf("DATA: %v, want 550 5.7.1", rs[0])
	}
	if len(q.msgs) != 0 {
		t.Fatalf("relayed from a non-null sender: %+v", q.msgs)
	}
	env.From = mailaddr.Address{}
	if rs := f.deliver(env, "a bounce"); rs[0] != nil || len(q.msgs) != 1 || q.msgs[0].rcpts[0] != "victim@remote.example" {
		t.Fatalf("bounce: %v, queued %d; want it relayed to the original sender", rs[0], len(q.msgs))
	}
}
