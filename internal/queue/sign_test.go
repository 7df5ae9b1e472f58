package queue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/testkit"
)

// withSigner gives the fixture's queue a DKIM signer with a new key of
// algorithm for example.org, the parent of its host name
// mail.example.org, and returns a resolver asking a DNS server that
// publishes the key.
func withSigner(f *fixture, algorithm string) dkim.TXTResolver {
	f.t.Helper()
	signer, dns := testkit.DKIM(f.t, f.st, "example.org", "bounces", algorithm)
	f.svc.d.Signer = signer
	return dns
}

// bounceTo queues a message from sender that bob@remote.example
// refuses for good (550 5.1.1) and runs one attempt.
func bounceTo(f *fixture, sender string) {
	f.t.Helper()
	f.snd.replies["bob@remote.example"] = smtpreply.New(550, smtpreply.Enhanced{5, 1, 1}, "no such user")
	f.enqueue(sender, nil, "bob@remote.example")
	f.step()
}

// wantSigned checks that a report starts with a DKIM-Signature field
// that verifies for example.org.
func wantSigned(t *testing.T, dns dkim.TXTResolver, report string) {
	t.Helper()
	if !strings.HasPrefix(report, "DKIM-Signature: ") {
		t.Fatalf("report does not start with DKIM-Signature:\n%s", report)
	}
	res, err := dkim.Verify(context.Background(), dns, strings.NewReader(report), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != dkim.Pass || res[0].Domain != "example.org" {
		t.Fatalf("Verify = %+v, want one pass for example.org:\n%s", res, report)
	}
}

// TestBounceSignedLocal: a bounce to a local sender, from
// MAILER-DAEMON@mail.example.org, is signed with example.org's key.
func TestBounceSignedLocal(t *testing.T) {
	f := newFixture(t)
	dns := withSigner(f, dkim.RSA)
	bounceTo(f, "alice@example.org")
	reports := f.local["alice@example.org"]
	if len(reports) != 1 || !strings.Contains(reports[0], "From: Mail Delivery System <MAILER-DAEMON@mail.example.org>") {
		t.Fatalf("reports: %q", reports)
	}
	wantSigned(t, dns, reports[0])
	// The verification is real: a changed status fails.
	res, _ := dkim.Verify(context.Background(), dns, strings.NewReader(strings.Replace(reports[0], "Status: 5.1.1", "Status: 5.1.2", 1)), 0)
	if len(res) != 1 || res[0].Status != dkim.Fail {
		t.Errorf("changed report: %+v, want fail", res)
	}
}

// TestBounceSignedRemote: a bounce to a sender elsewhere is queued signed
// and leaves the queue with the same octets.
func TestBounceSignedRemote(t *testing.T) {
	f := newFixture(t)
	dns := withSigner(f, dkim.Ed25519)
	bounceTo(f, "zed@far.example")
	f.step()
	if last := f.snd.calls[len(f.snd.calls)-1]; last != "far.example:zed@far.example" {
		t.Fatalf("bounce not sent: %v", f.snd.calls)
	}
	wantSigned(t, dns, f.snd.bodies[len(f.snd.bodies)-1])
}

// TestDelayNoticeSigned: the delay warning goes the same way.
func TestDelayNoticeSigned(t *testing.T) {
	f := newFixture(t)
	dns := withSigner(f, dkim.Ed25519)
	f.snd.replies["bob@remote.example"] = smtpreply.New(451, smtpreply.Enhanced{4, 7, 1}, "try later")
	f.enqueue("alice@example.org", nil, "bob@remote.example")
	f.step()
	f.clk.Add(2 * time.Hour) // past delay_warning (90m)
	f.step()
	reports := f.local["alice@example.org"]
	if len(reports) != 1 || !strings.Contains(reports[0], "Action: delayed") {
		t.Fatalf("reports: %q", reports)
	}
	wantSigned(t, dns, reports[0])
}

type failingSigner struct{}

func (failingSigner) Sign(context.Context, io.Reader) (string, error) {
	return "", errors.New("signing failed")
}

// TestBounceSigningErrorSendsUnsigned: a signing error does not lose the
// bounce; it goes out unsigned and the error is logged.
func TestBounceSigningErrorSendsUnsigned(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	f.svc.d.Log = slog.New(slog.NewTextHandler(&logs, nil))
	f.svc.d.Signer = failingSigner{}
	bounceTo(f, "alice@example.org")
	reports := f.local["alice@example.org"]
	if len(reports) != 1 || !strings.HasPrefix(reports[0], "From: Mail Delivery System") {
		t.Fatalf("reports: %q", reports)
	}
	if !strings.Contains(logs.String(), "sending it unsigned") || strings.Contains(logs.String(), "body text") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestBounceWithoutKeyUnsigned: no key for the host name's domains, no
// signature.
func TestBounceWithoutKeyUnsigned(t *testing.T) {
	f := newFixture(t)
	f.svc.d.Signer = dkim.NewSigner(f.st, slog.New(slog.DiscardHandler))
	bounceTo(f, "alice@example.org")
	if reports := f.local["alice@example.org"]; len(reports) != 1 || !strings.HasPrefix(reports[0], "From: ") {
		t.Fatalf("reports: %q", reports)
	}
}
