package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/testkit"
	"github.com/petrelmail/petrel/internal/tlsrpt"
)

type fakeSigner string

func (f fakeSigner) Sign(context.Context, io.Reader) (string, error) { return string(f), nil }

// A TLS report goes signed to a local rua address's mailbox, and into the
// outbound queue for a remote one, with the TLS-Required: No demand kept
// (RFC 8460 §5.3, RFC 8689 §3).
func TestReportSender(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	acct := testkit.Accounts(st, accounts.Options{})
	if err := acct.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	alice := testkit.AddUser(t, acct, "alice@example.org", "pw")
	log := slog.New(slog.DiscardHandler)
	local := delivery.New(delivery.Config{Hostname: "mail.example.org"}, acct, st, log)
	svc := queue.New(queue.Config{Hostname: "mail.example.org"}, queue.Deps{Store: st, Log: log})
	s := &reportSender{d: deps{signer: fakeSigner("DKIM-Signature: v=1; test\r\n")}, queue: svc, local: localReports(st, local)}
	report := "From: tlsrpt-noreply@mail.example.org\r\nTLS-Required: No\r\nSubject: Report Domain: remote.example\r\n\r\nreport\r\n"
	err := s.SendReport(ctx, tlsrpt.Mail{From: "tlsrpt-noreply@mail.example.org",
		To: []string{"alice@example.org", "tlsrpt@remote.example"}, Data: []byte(report), PolicyDomain: "remote.example"})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := st.Mailbox(ctx, alice.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.Messages(ctx, mb.ID, 1, 100)
	if err != nil || len(ms) != 1 {
		t.Fatalf("INBOX: %d messages, %v; want the report", len(ms), err)
	}
	b, err := st.OpenBlob(ctx, ms[0].Blob)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(b)
	b.Close()
	if !strings.Contains(string(data), "DKIM-Signature: v=1; test\r\nFrom: tlsrpt-noreply@") {
		t.Errorf("the local report is not signed:\n%s", data)
	}
	q, err := st.QueuedMessages(ctx)
	if err != nil || len(q) != 1 {
		t.Fatalf("queue: %d messages, %v; want the remote report", len(q), err)
	}
	if m := q[0]; !m.TLSOptional || m.RequireTLS || len(m.Rcpts) != 1 || m.Rcpts[0].Addr != "tlsrpt@remote.example" ||
		m.From != "tlsrpt-noreply@mail.example.org" {
		t.Errorf("queued report: %+v, want TLS-Required: No, for tlsrpt@remote.example from tlsrpt-noreply@", m)
	}
}
