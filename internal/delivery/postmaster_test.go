package delivery

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/store"
)

// Issue 11: with no postmaster address anywhere, RCPT TO:<postmaster>
// (postmaster@<hostname> for Delivery) got 554 5.7.1 Relay access denied.
// RFC 5321 §4.5.1: it must be accepted; it goes to delivery.postmaster
// when set, else to the account created first.
func TestPostmasterWithoutPostmasterAddress(t *testing.T) {
	f := newFixture(t)
	f.must(f.acct.DeleteUser(f.ctx, "postmaster@example.org"))
	f.must(f.acct.DeleteAlias(f.ctx, "@catch.example")) // it would answer for postmaster@catch.example
	for _, addr := range []string{"postmaster@mx.example.net", "postmaster@example.org", "PostMaster@xn--bcher-kva.example",
		"abuse@example.org", "Abuse@xn--bcher-kva.example"} { // RFC 2142 §2: abuse@ too

		if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, addr)); r != nil {
			t.Fatalf("%s: %v", addr, r)
		}
	}
	for _, addr := range []string{"postmaster@other.example", "abuse@other.example"} {
		if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, addr)); code(r) != "5.7.1" {
			t.Fatalf("%s (another domain): %v", addr, r)
		}
	}
	if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, "hostmaster@example.org")); code(r) != "5.1.1" {
		t.Fatalf("hostmaster@ (not a role address here): %v", r)
	}
	env := &envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "postmaster@mx.example.net"), rcpt(t, "abuse@example.org")}}
	if r := f.deliver(env, "to the postmaster"); r[0] != nil || r[1] != nil {
		t.Fatal(r)
	}
	if n := len(f.inbox("alice@example.org")); n != 1 {
		t.Fatalf("the oldest account got %d messages", n)
	}

	// delivery.postmaster names the mailbox.
	f.svc = New(Config{Hostname: "mx.example.net", Postmaster: "bob@example.org"}, f.acct, f.st, slog.New(slog.NewTextHandler(f.logs, nil)))
	env = &envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "postmaster@example.org")}}
	if r := f.deliver(env, "to the configured postmaster"); r[0] != nil {
		t.Fatal(r[0])
	}
	if len(f.inbox("bob@example.org")) != 1 || len(f.inbox("alice@example.org")) != 1 {
		t.Fatal("the configured postmaster did not get the message")
	}
}

// failingResolver fails Resolve of one address with err.
type failingResolver struct {
	Resolver
	addr string
	err  error
}

func (r failingResolver) Resolve(ctx context.Context, address string) (accounts.Resolution, error) {
	if strings.EqualFold(address, r.addr) {
		return accounts.Resolution{}, r.err
	}
	return r.Resolver.Resolve(ctx, address)
}

// TestAbuseFollowsPostmaster: abuse@D without an address of its own goes
// where postmaster@D goes before the server-wide fallback; only "not
// there" falls back: a loop in postmaster@D is 550 5.4.6, a store failure
// 451 (review of issue 13: any error fell back).
func TestAbuseFollowsPostmaster(t *testing.T) {
	f := newFixture(t)
	f.svc = New(Config{Hostname: "mx.example.net", Postmaster: "alice@example.org"}, f.acct, f.st, slog.New(slog.NewTextHandler(f.logs, nil)))
	env := &envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "abuse@example.org"), rcpt(t, "abuse@xn--bcher-kva.example")}}
	if r := f.deliver(env, "abuse report"); r[0] != nil || r[1] != nil {
		t.Fatal(r)
	}
	if n := len(f.inbox("postmaster@example.org")); n != 1 {
		t.Errorf("postmaster@example.org got %d messages for abuse@example.org, want 1", n)
	}
	if n := len(f.inbox("alice@example.org")); n != 1 {
		t.Errorf("the configured postmaster got %d messages, want 1 (abuse@ of a domain without postmaster@)", n)
	}

	// postmaster@bücher.example loops: both role addresses say so.
	f.must(f.st.SetAlias(f.ctx, "postmaster@xn--bcher-kva.example", []string{"loop1@example.org"}))
	for _, addr := range []string{"postmaster@xn--bcher-kva.example", "abuse@xn--bcher-kva.example"} {
		if r := f.svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, addr)); code(r) != "5.4.6" {
			t.Errorf("%s behind a looping postmaster alias: %v, want 550 5.4.6", addr, r)
		}
	}

	// A store failure is temporary, for the address and for abuse@
	// asking after postmaster@.
	for _, c := range []struct{ failing, rcpt string }{
		{"postmaster@example.org", "postmaster@example.org"},
		{"abuse@example.org", "abuse@example.org"},
		{"postmaster@example.org", "abuse@example.org"},
	} {
		res := failingResolver{Resolver: f.acct, addr: c.failing, err: store.Errorf(store.KindTemporary, "resolve", "database is locked")}
		svc := New(Config{Hostname: "mx.example.net", Postmaster: "alice@example.org"}, res, f.st, slog.New(slog.DiscardHandler))
		if r := svc.CheckRecipient(f.ctx, &envelope.Envelope{}, rcpt(t, c.rcpt)); r == nil || r.Code != 451 {
			t.Errorf("%s while resolving %s fails: %v, want 451", c.rcpt, c.failing, r)
		}
	}
}
