package delivery

import (
	"log/slog"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
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
