package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

type fixture struct {
	t    *testing.T
	ctx  context.Context
	st   *sqlite.Store
	acct *accounts.Service
	svc  *Service
	logs *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := testkit.NewStore(t)
	f := &fixture{t: t, ctx: ctx, st: st, logs: &bytes.Buffer{},
		acct: testkit.Accounts(st, accounts.Options{SubaddressSeparator: "+"})}
	f.svc = New(Config{Hostname: "mx.example.net"}, f.acct, st, slog.New(slog.NewTextHandler(f.logs, nil)))
	for _, d := range []string{"example.org", "bücher.example", "catch.example"} {
		f.must(f.acct.AddDomain(ctx, d))
	}
	for _, u := range []string{"alice@example.org", "bob@example.org", "jürgen@bücher.example", "postmaster@example.org"} {
		if _, err := f.acct.AddUser(ctx, u, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	f.must(f.acct.AddAlias(ctx, "team@example.org", []string{"alice@example.org", "bob@example.org"}))
	f.must(f.acct.AddAlias(ctx, "@catch.example", []string{"bob@example.org"}))
	f.must(f.acct.AddAlias(ctx, "fwd@example.org", []string{"someone@remote.example"}))
	// A loop can only be stored behind the accounts rules' back.
	f.must(st.SetAlias(ctx, "loop1@example.org", []string{"loop2@example.org"}))
	f.must(st.SetAlias(ctx, "loop2@example.org", []string{"loop1@example.org"}))
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) id(addr string) store.AccountID {
	id, err := f.st.LookupAddress(f.ctx, addr)
	f.must(err)
	return id
}

func rcpt(t *testing.T, s string) envelope.Recipient {
	t.Helper()
	a, err := mailaddr.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return envelope.Recipient{Addr: a}
}

func code(r *smtpreply.Reply) string {
	if r == nil {
		return "250"
	}
	return r.Enhanced.String()
}

func TestCheckRecipient(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ addr, want string }{
		{"alice@example.org", "250"},
		{"ALICE@Example.ORG", "250"},                 // case-insensitive
		{"alice+news@example.org", "250"},            // subaddress
		{"team@example.org", "250"},                  // alias
		{"anything@catch.example", "250"},            // catch-all
		{"jürgen@xn--bcher-kva.example", "250"},      // IDN A-label
		{"JÜRGEN@BÜCHER.example", "250"},             // Unicode, mixed case
		{"nobody@example.org", "5.1.1"},              // no such mailbox
		{"alice@other.example", "5.7.1"},             // relay denied
		{"alice%other.example@example.org", "5.1.1"}, // % is part of the local part, never routed
		{`"alice@other.example"@example.org`, "5.1.1"},
		{"other.example!alice@example.org", "5.1.1"}, // bang path: a local part
		{"alice@[127.0.0.1]", "5.7.1"},               // address literals are never local
		{"fwd@example.org", "4.3.5"},                 // remote forwarding: no queue (RFC 3463 X.3.5)
		{"loop1@example.org", "5.4.6"},               // alias loop
		{"postmaster@catch.example", "250"},          // catch-all covers it
		{"postmaster@mx.example.net", "250"},         // RFC 5321 §4.5.1 for our own name
		{"postmaster@xn--bcher-kva.example", "250"},  // falls back to a postmaster
	} {
		r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, c.addr))
		if got := code(r); got != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.addr, got, r, c.want)
		}
		if r != nil && strings.Contains(r.Text, "store:") {
			t.Errorf("%s: Go error text on the wire: %q", c.addr, r.Text)
		}
	}
}

func TestCheckRecipientQuota(t *testing.T) {
	f := newFixture(t)
	f.must(f.st.SetQuota(f.ctx, f.id("alice@example.org"), 1000, 0))
	if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{Size: 5000}, rcpt(t, "alice@example.org")); code(r) != "5.2.2" || r.Code != 552 {
		t.Fatalf("SIZE over the whole quota: %v", r)
	}
	if r := f.deliver(&envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "alice@example.org")}}, strings.Repeat("x", 700)); r[0] != nil {
		t.Fatalf("filling delivery: %v", r[0])
	}
	if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{Size: 300}, rcpt(t, "alice@example.org")); code(r) != "4.2.2" || r.Code != 452 {
		t.Fatalf("declared SIZE over the room left: %v", r)
	}
	if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, "alice@example.org")); r != nil {
		t.Fatalf("room left and no SIZE: %v", r)
	}
	f.must(f.st.SetQuota(f.ctx, f.id("alice@example.org"), 0, 1))
	if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, "alice@example.org")); code(r) != "4.2.2" {
		t.Fatalf("message-count quota reached: %v", r)
	}
}

func (f *fixture) deliver(env *envelope.Envelope, body string) []*smtpreply.Reply {
	f.t.Helper()
	if env.ID == "" {
		env.ID = "testid000001"
	}
	msg := "Subject: test\r\n\r\n" + body + "\r\n"
	return f.svc.Deliver(f.ctx, env, strings.NewReader(msg), int64(len(msg)))
}

func (f *fixture) inbox(addr string) []store.Message {
	mb, err := f.st.Mailbox(f.ctx, f.id(addr), "INBOX")
	f.must(err)
	ms, err := f.st.Messages(f.ctx, mb.ID, 1, 0)
	f.must(err)
	return ms
}

func (f *fixture) body(m store.Message) string {
	b, err := f.st.OpenBlob(f.ctx, m.Blob)
	f.must(err)
	defer b.Close()
	data, err := io.ReadAll(b)
	f.must(err)
	return string(data)
}

func TestDeliverOneCopyPerAccount(t *testing.T) {
	f := newFixture(t)
	env := &envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "team@example.org"), rcpt(t, "alice+x@example.org"), rcpt(t, "bob@example.org")}}
	for i, r := range f.deliver(env, "hello") {
		if r != nil {
			t.Fatalf("recipient %d: %v", i, r)
		}
	}
	a, b := f.inbox("alice@example.org"), f.inbox("bob@example.org")
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("alice has %d, bob %d messages; want one copy each", len(a), len(b))
	}
	if a[0].Blob != b[0].Blob {
		t.Fatal("copies do not share one blob")
	}
	got := f.body(a[0])
	if !strings.HasPrefix(got, "Return-Path: <>\r\nReceived: from unknown (local socket)\r\n") || strings.Contains(got, "for <") {
		t.Fatalf("trace headers: %q", got[:200])
	}
}

func TestReceivedGolden(t *testing.T) {
	f := newFixture(t)
	from, _ := mailaddr.Parse("sender@remote.example")
	env := &envelope.Envelope{ID: "q1w2e3r4t5y6", From: from, Helo: "client.remote.example",
		ClientIP: netip.MustParseAddr("192.0.2.7"), ClientHost: "mail.remote.example", Protocol: "ESMTPS",
		TLS:        &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256},
		Recipients: []envelope.Recipient{rcpt(t, "alice@example.org")},
		Received:   time.Date(2026, 11, 26, 1, 2, 3, 0, time.FixedZone("", 3600))}
	got := f.svc.traceHeaders(env, "")
	env6 := *env
	env6.ClientIP, env6.ClientHost, env6.TLS, env6.Helo, env6.Protocol = netip.MustParseAddr("2001:db8::1"), "", nil, "bad (helo)\r\nX-Injected: 1", "ESMTP"
	env6.Recipients = append(env6.Recipients, rcpt(t, "bob@example.org"))
	got += f.svc.traceHeaders(&env6, "")
	golden := "testdata/received.golden"
	if os.Getenv("UPDATE_GOLDEN") != "" {
		f.must(os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	f.must(err)
	if got != string(want) {
		t.Fatalf("trace headers:\n%s\nwant:\n%s", got, want)
	}
}

func TestDeliverAtomicAndPerRecipient(t *testing.T) {
	f := newFixture(t)
	f.must(f.st.SetQuota(f.ctx, f.id("bob@example.org"), 0, 1))
	f.deliver(&envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "bob@example.org")}}, "fill")
	rcpts := []envelope.Recipient{rcpt(t, "alice@example.org"), rcpt(t, "bob@example.org")}
	// SMTP: all or nothing, one reply for all.
	rs := f.deliver(&envelope.Envelope{Recipients: rcpts}, "smtp")
	if code(rs[0]) != "4.2.2" || code(rs[1]) != "4.2.2" {
		t.Fatalf("SMTP replies: %v, %v", rs[0], rs[1])
	}
	if n := len(f.inbox("alice@example.org")); n != 0 {
		t.Fatalf("alice got %d messages from a failed atomic delivery", n)
	}
	// LMTP: per recipient.
	rs = f.deliver(&envelope.Envelope{Recipients: rcpts, PerRecipient: true}, "lmtp")
	if rs[0] != nil || code(rs[1]) != "4.2.2" {
		t.Fatalf("LMTP replies: %v, %v", rs[0], rs[1])
	}
	if n := len(f.inbox("alice@example.org")); n != 1 {
		t.Fatalf("alice has %d messages after LMTP, want 1", n)
	}
}

type failingStore struct{ Store }

func (failingStore) Deliver(context.Context, store.NewMessage, []store.Target) ([]store.Delivered, error) {
	return nil, errors.New("disk on fire: /secret/path")
}

func TestStoreErrorNeverOnTheWire(t *testing.T) {
	f := newFixture(t)
	f.svc.st = failingStore{f.st}
	rs := f.deliver(&envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "alice@example.org")}}, "x")
	if rs[0] == nil || rs[0].Code != 451 || strings.Contains(rs[0].Text, "disk") {
		t.Fatalf("reply %v", rs[0])
	}
	if !strings.Contains(f.logs.String(), "disk on fire") {
		t.Fatal("the cause is not logged for the administrator")
	}
}

// fullStore is a store whose disk is full (KindNoSpace, README "Storage").
type fullStore struct{ Store }

func (fullStore) Deliver(context.Context, store.NewMessage, []store.Target) ([]store.Delivered, error) {
	return nil, store.Errorf(store.KindNoSpace, "deliver", "write /data/petrel.db-wal: no space left on device")
}

// A full disk is answered 452 4.3.1 (RFC 3463 §3.5, RFC 5321 §4.2.2), not
// 451 4.3.0, with a reference that finds the log line and no error text.
func TestDiskFullIs452(t *testing.T) {
	f := newFixture(t)
	f.svc.st = fullStore{f.st}
	for _, env := range []*envelope.Envelope{
		{Recipients: []envelope.Recipient{rcpt(t, "alice@example.org"), rcpt(t, "bob@example.org")}},
		{Recipients: []envelope.Recipient{rcpt(t, "alice@example.org"), rcpt(t, "bob@example.org")}, PerRecipient: true}, // LMTP
	} {
		f.logs.Reset()
		rs := f.deliver(env, "x")
		for i, r := range rs {
			if r == nil || r.Code != 452 || code(r) != "4.3.1" || strings.Contains(r.Text, "space left") {
				t.Fatalf("per recipient %v: reply %d = %v, want 452 4.3.1 without the error text", env.PerRecipient, i, r)
			}
			ref := testkit.Ref(t, r.Text)
			if !strings.Contains(f.logs.String(), "ref="+ref) || !strings.Contains(f.logs.String(), "no space left") {
				t.Fatalf("log does not hold ref %s and the cause:\n%s", ref, f.logs)
			}
		}
	}
}

// The queue's disk being full is answered 452 4.3.1 too.
func TestQueueDiskFullIs452(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	q.err = store.Errorf(store.KindNoSpace, "enqueue", "no space left on device")
	rs := f.submit(submitted(t, "bob@example.org", "someone@remote.example"), fromAlice+"\r\nx\r\n")
	for i, r := range rs {
		if r == nil || r.Code != 452 || code(r) != "4.3.1" {
			t.Fatalf("recipient %d: %v, want 452 4.3.1", i, r)
		}
	}
}
