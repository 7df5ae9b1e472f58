package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestLocalReportsOwnID: a report delivered into a local mailbox is its
// own transaction, with the msg_id the queue gave it in its Received
// field, not a fixed "report" shared by every bounce (review of issue 13).
func TestLocalReportsOwnID(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	acct := testkit.Accounts(st, accounts.Options{})
	if err := acct.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	alice := testkit.AddUser(t, acct, "alice@example.org", "pw")
	deliver := localReports(st, delivery.New(delivery.Config{Hostname: "mail.example.org"}, acct, st, slog.New(slog.DiscardHandler)))
	rcpt, err := mailaddr.Parse("alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	const report = "Subject: Undelivered Mail\r\n\r\nsorry\r\n"
	for _, msgID := range []string{"rid000000001", "rid000000002"} {
		if local, err := deliver(ctx, msgID, rcpt, []byte(report)); !local || err != nil {
			t.Fatalf("local report %s: %v, %v", msgID, local, err)
		}
	}
	mb, err := st.Mailbox(ctx, alice.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.Messages(ctx, mb.ID, 1, 100)
	if err != nil || len(ms) != 2 {
		t.Fatalf("INBOX: %d messages, %v; want the 2 reports", len(ms), err)
	}
	for i, m := range ms {
		b, err := st.OpenBlob(ctx, m.Blob)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(b)
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		hdr, _, _ := strings.Cut(string(data), "\r\n\r\n")
		if want := []string{"rid000000001", "rid000000002"}[i]; !strings.Contains(hdr, "id "+want) {
			t.Errorf("report %d's header does not name its msg_id %s:\n%s", i+1, want, hdr)
		}
	}
}
