package smtpd

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// folderPolicy files a message into the folder its X-Folder field names
// and refuses the recipient its X-Reject field names (a stand-in for the
// Sieve that is to come).
type folderPolicy struct{}

func (folderPolicy) Decide(_ context.Context, m *delivery.Message, r delivery.Rcpt) (delivery.Action, error) {
	var a delivery.Action
	for _, f := range m.Meta.Headers {
		switch {
		case strings.EqualFold(f.Name, "X-Folder"):
			a.Mailbox = f.Value
		case strings.EqualFold(f.Name, "X-Reject") && strings.EqualFold(f.Value, r.Addr.String()):
			a.Reject = smtpreply.New(550, smtpreply.Enhanced{5, 7, 1}, "Refused by the recipient's rules")
		}
	}
	return a, nil
}

// The policy stage seen from the wire: over LMTP on loopback, through the
// real delivery service and store, one recipient is refused with the
// policy's typed 550 5.7.1 while the other gets the message in the folder
// the policy chose.
func TestPolicyOverLMTP(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acct := accounts.New(st, accounts.Options{Argon: &accounts.ArgonParams{Time: 1, Memory: 64, Threads: 1}})
	if err := acct.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]store.AccountID{}
	for _, u := range []string{"alice@example.org", "bob@example.org"} {
		a, err := acct.AddUser(ctx, u, "pw")
		if err != nil {
			t.Fatal(err)
		}
		ids[u] = a.ID
	}
	lists, err := st.CreateMailbox(ctx, ids["alice@example.org"], "Lists", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	dlv := delivery.New(delivery.Config{Hostname: testHost, Policies: []delivery.Policy{folderPolicy{}}}, acct, st, log)
	cfg := testConfig()
	cfg.LMTP, cfg.SpoolDir = true, t.TempDir()
	srv := New(cfg, dlv, log, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})

	c := greeted(t, l.Addr().String())
	c.cmd("LHLO mta.test", "250 ")
	c.transaction("s@remote.example", "alice@example.org", "bob@example.org")
	c.cmd("DATA", "354 ")
	c.Send("From: <s@remote.example>\r\nX-Folder: Lists\r\nX-Reject: bob@example.org\r\n\r\nHello.\r\n.\r\n")
	c.Expect("250 2.")
	if got := c.reply(); got[0] != "550 5.7.1 Refused by the recipient's rules" {
		t.Fatalf("bob: %q, want the policy's 550 5.7.1", got)
	}
	c.cmd("QUIT", "221 ")

	if ms, err := st.Messages(ctx, lists.ID, 1, 0); err != nil || len(ms) != 1 {
		t.Fatalf("alice's Lists: %d messages (%v), want 1", len(ms), err)
	}
	for _, u := range []string{"alice@example.org", "bob@example.org"} {
		inbox, err := st.Mailbox(ctx, ids[u], "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if ms, err := st.Messages(ctx, inbox.ID, 1, 0); err != nil || len(ms) != 0 {
			t.Fatalf("%s's INBOX: %d messages (%v), want none", u, len(ms), err)
		}
	}
}
