package storecopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

func msg(subject string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: a@example.com\r\nTo: b@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\n", subject, subject)
	for b.Len() < size {
		b.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n")
	}
	return b.Bytes()
}

// populate fills a store: two accounts, mail in several mailboxes with
// flags, keywords, an expunge and a copy, a body streamed (over 1 MiB), a
// queued message, an alias, a key/value entry (a DKIM key) and three
// access rights entries (shared mailboxes). A deleted account first makes
// the source's account IDs differ from the copy's.
func populate(t *testing.T, s store.Store) (total int) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddDomain(ctx, "example.org"))
	deleted, err := s.CreateAccount(ctx, "gone@example.org", "$argon2id$gone")
	must(err)
	must(s.DeleteAccount(ctx, deleted.ID))
	alice, err := s.CreateAccount(ctx, "alice@example.org", "$argon2id$hash")
	must(err)
	bob, err := s.CreateAccount(ctx, "bob@example.org", "$argon2id$other")
	must(err)
	must(s.SetAlias(ctx, "team@example.org", []string{"alice@example.org", "bob@example.org"}))
	_, err = s.CreateMailbox(ctx, alice.ID, "Lists/Go", store.UseNone)
	must(err)
	deliver := func(acct store.AccountID, mailbox string, body []byte, flags store.Flags, kw ...string) {
		t.Helper()
		res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(body)},
			[]store.Target{{Account: acct, MailboxName: mailbox, Flags: flags, Keywords: kw}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("Deliver: %v %+v", err, res)
		}
		total++
	}
	for i := range 25 {
		deliver(alice.ID, "INBOX", msg(fmt.Sprintf("in%d", i), 200+37*i), store.Flags(i%4), "$Label1")
		deliver(alice.ID, "Lists/Go", msg(fmt.Sprintf("go%d", i), 500), store.FlagSeen)
	}
	deliver(bob.ID, "INBOX", msg("large", 3<<20), 0)
	deliver(bob.ID, "Sent", msg("sent", 800), store.FlagSeen, "$MDNSent", "Custom")
	inbox, err := s.Mailbox(ctx, alice.ID, "INBOX")
	must(err)
	gone, err := s.Expunge(ctx, inbox.ID, []store.UID{4, 5})
	must(err)
	total -= len(gone)
	archive, err := s.Mailbox(ctx, alice.ID, "Archive")
	must(err)
	cp, err := s.Copy(ctx, inbox.ID, []store.UID{1, 2, 3}, archive.ID, store.FlagDrop{})
	must(err)
	total += len(cp.Dst)
	if _, err := s.ClaimRecent(ctx, inbox.ID, 6); err != nil { // a session saw UIDs up to 6
		t.Fatal(err)
	}
	_, err = s.Enqueue(ctx, store.NewQueued{ID: "q1", From: "alice@example.org", Arrived: time.Now(), RequireTLS: true,
		Body: bytes.NewReader(msg("out", 1000)), Rcpts: []store.QueuedRcpt{{Addr: "x@remote.example", Domain: "remote.example"}}})
	must(err)
	must(s.KVStore(ctx, "dkim/example.org/s1.pem", []byte("-----BEGIN PRIVATE KEY-----")))
	golist, err := s.Mailbox(ctx, alice.ID, "Lists/Go")
	must(err)
	sent, err := s.Mailbox(ctx, bob.ID, "Sent")
	must(err)
	must(s.SetRights(ctx, golist.ID, bob.ID, "lrs"))
	must(s.SetRights(ctx, archive.ID, store.Anyone, "lr"))
	must(s.SetRights(ctx, sent.ID, alice.ID, "lrswi"))
	return total
}

// sharedText renders SharedWith of the account with address.
func sharedText(t *testing.T, s store.Store, address string) string {
	t.Helper()
	ctx := context.Background()
	id, err := s.LookupAddress(ctx, address)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.SharedWith(ctx, id, "example.org")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sm := range list {
		out = append(out, sm.Owner+" "+sm.Mailbox.Name+" "+sm.Rights)
	}
	return strings.Join(out, ", ")
}

// TestCopy copies between every pair of backends.
func TestCopy(t *testing.T) { forEachPair(t, testCopy) }

func testCopy(t *testing.T, src, dst store.Store) {
	total := populate(t, src)
	var out bytes.Buffer
	rep, err := Copy(context.Background(), src, dst, Options{Progress: &out, PageSize: 7, BatchMessages: 3})
	if err != nil {
		t.Fatalf("Copy: %v\n%s", err, out.String())
	}
	if rep.Added != int64(total) || rep.Present != 0 || rep.Accounts != 2 || rep.Queued != 1 || rep.KV != 1 || rep.Aliases != 1 ||
		rep.ACLs != 3 {
		t.Fatalf("report %+v, want %d messages added", rep, total)
	}
	if len(rep.Sums) != 14 { // six default mailboxes each, Lists and Lists/Go
		t.Fatalf("%d mailboxes verified, want 14", len(rep.Sums))
	}
	for _, s := range rep.Sums {
		if s.Problem != "" || s.Source != s.Dest || s.Messages != s.DestMessages {
			t.Fatalf("mailbox sum %+v", s)
		}
	}
	if !strings.Contains(out.String(), "verified alice@example.org INBOX: UIDVALIDITY") {
		t.Fatalf("no verification line for alice's INBOX in:\n%s", out.String())
	}
	ctx := context.Background()
	copied, _ := dst.LookupAddress(ctx, "alice@example.org")
	if dinbox, err := dst.Mailbox(ctx, copied, "INBOX"); err != nil {
		t.Fatal(err)
	} else if r, err := dst.RecentUID(ctx, dinbox.ID); r != 6 || err != nil {
		t.Fatalf(`\Recent boundary in the copy: %d, %v; want 6`, r, err)
	}
	if q, err := dst.QueuedMessage(ctx, "q1"); err != nil || !q.RequireTLS { // RFC 8689: the flag is copied
		t.Fatalf("queued message in the copy: %+v, %v", q, err)
	}
	// The shares, with the grantees' IDs of the copy.
	for addr, want := range map[string]string{
		"bob@example.org":   "alice@example.org Archive lr, alice@example.org Lists/Go lrs",
		"alice@example.org": "bob@example.org Sent lrswi",
	} {
		if got := sharedText(t, dst, addr); got != want {
			t.Fatalf("shared with %s in the copy: %q, want %q", addr, got, want)
		}
	}
	// A second run adds nothing.
	rep2, err := Copy(context.Background(), src, dst, Options{})
	if err != nil || rep2.Added != 0 || rep2.Present != int64(total) {
		t.Fatalf("second Copy: %+v, %v", rep2, err)
	}
	// An entry the source lacks is found, and the next run removes it.
	dbob, _ := dst.LookupAddress(ctx, "bob@example.org")
	dinbox, _ := dst.Mailbox(ctx, copied, "INBOX")
	if err := dst.SetRights(ctx, dinbox.ID, dbob, "l"); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, src, dst, Options{}); err == nil || !strings.Contains(err.Error(), "access rights") {
		t.Fatalf("Verify after a share in the copy: %v", err)
	}
	if _, err := Copy(ctx, src, dst, Options{}); err != nil {
		t.Fatalf("third Copy: %v", err)
	}
	if got := sharedText(t, dst, "bob@example.org"); got != "alice@example.org Archive lr, alice@example.org Lists/Go lrs" {
		t.Fatalf("shared with bob after the third copy: %q", got)
	}
	// A change in the copy is found.
	alice, _ := dst.LookupAddress(context.Background(), "alice@example.org")
	inbox, _ := dst.Mailbox(context.Background(), alice, "INBOX")
	if _, err := dst.StoreFlags(context.Background(), inbox.ID, []store.UID{1}, store.FlagChange{Op: store.FlagsAdd, Keywords: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	sums, err := Verify(context.Background(), src, dst, Options{})
	if err == nil || !strings.Contains(err.Error(), "alice@example.org INBOX") {
		t.Fatalf("Verify after a change in the copy: %v", err)
	}
	bad := 0
	for _, s := range sums {
		if s.Problem != "" {
			bad++
		}
	}
	if bad != 1 {
		t.Fatalf("%d mailboxes reported different, want 1", bad)
	}
}

// cutDest cancels the copy after a number of message imports: an
// interruption at a random point.
type cutDest struct {
	store.Store
	left   int
	cancel context.CancelFunc
}

func (c *cutDest) ImportMessages(ctx context.Context, a store.AccountID, mb store.MailboxID, msgs []store.ImportMessage) (store.Imported, error) {
	if c.left == 0 {
		c.cancel()
	}
	c.left--
	return c.Store.ImportMessages(ctx, a, mb, msgs)
}

func TestCopyInterrupted(t *testing.T) { forEachPair(t, testCopyInterrupted) }

func testCopyInterrupted(t *testing.T, src, dst store.Store) {
	total := populate(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Copy(ctx, src, &cutDest{Store: dst, left: 4, cancel: cancel}, Options{BatchMessages: 5, PageSize: 10})
	if !errors.Is(err, context.Canceled) && !store.IsKind(err, store.KindTemporary) {
		t.Fatalf("interrupted Copy: %v, want a cancellation", err)
	}
	rep, err := Copy(context.Background(), src, dst, Options{})
	if err != nil {
		t.Fatalf("Copy after the interruption: %v", err)
	}
	if rep.Present == 0 || rep.Added == 0 || rep.Added+rep.Present != int64(total) {
		t.Fatalf("resumed copy added %d and found %d, want both > 0 and %d in all", rep.Added, rep.Present, total)
	}
}

func TestCopyRefusesNonEmptyDestination(t *testing.T) {
	src, dst := testkit.NewStore(t), testkit.NewStore(t)
	populate(t, src)
	if err := dst.AddDomain(context.Background(), "elsewhere.example"); err != nil {
		t.Fatal(err)
	}
	_, err := Copy(context.Background(), src, dst, Options{})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Copy into a used store: %v", err)
	}
	if accts, _ := dst.Accounts(context.Background()); len(accts) != 0 {
		t.Fatalf("refused copy wrote %d accounts", len(accts))
	}
}
