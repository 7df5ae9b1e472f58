package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func names(mbs []store.Mailbox) []string {
	var out []string
	for _, mb := range mbs {
		out = append(out, mb.Name)
	}
	return out
}

func testMailboxes(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	a := e.account("alice")
	mb, err := s.CreateMailbox(ctx, a.ID, "Work/2026/Q4", store.UseNone)
	if err != nil || mb.Name != "Work/2026/Q4" || mb.UIDNext != 1 {
		t.Fatalf("CreateMailbox = %+v, %v", mb, err)
	}
	e.mailbox(a.ID, "Work") // superiors created (RFC 9051 §6.3.4)
	e.mailbox(a.ID, "Work/2026")
	_, err = s.CreateMailbox(ctx, a.ID, "Work", store.UseNone)
	wantKind(t, "create existing", err, store.KindExists)
	for _, bad := range []string{"", "a//b", "/a", "a/", "a*b", "a%", "bad\x01"} {
		_, err = s.CreateMailbox(ctx, a.ID, bad, store.UseNone)
		wantKind(t, "create "+bad, err, store.KindInvalid)
	}
	_, err = s.CreateMailbox(ctx, a.ID, "Stuff", store.SpecialUse(`\Bogus`))
	wantKind(t, "bad special use", err, store.KindInvalid)
	if _, err := s.CreateMailbox(ctx, a.ID, "All Mail", store.UseAll); err != nil {
		t.Fatal(err)
	}
	body := msg("r", 10)
	d := e.deliver(a.ID, "Work/2026", body)
	if err := s.SetSubscribed(ctx, a.ID, "Work/2026", true); err != nil {
		t.Fatal(err)
	}
	old := e.mailbox(a.ID, "Work/2026")

	if err := s.RenameMailbox(ctx, a.ID, "Work", "Jobs/Old"); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Mailboxes(ctx, a.ID)
	for _, n := range []string{"Jobs", "Jobs/Old", "Jobs/Old/2026", "Jobs/Old/2026/Q4"} {
		if !slices.Contains(names(all), n) {
			t.Fatalf("after rename, %q missing from %v", n, names(all))
		}
	}
	if slices.Contains(names(all), "Work") {
		t.Fatalf("old name still listed: %v", names(all))
	}
	renamed := e.mailbox(a.ID, "Jobs/Old/2026")
	if renamed.UIDValidity != old.UIDValidity || renamed.ID != old.ID {
		t.Fatalf("rename changed identity: %+v vs %+v", renamed, old)
	}
	if ms := e.messages(renamed.ID); len(ms) != 1 || ms[0].UID != d.UID {
		t.Fatalf("messages after rename: %+v", ms)
	}
	if !renamed.Subscribed || !old.Subscribed {
		t.Fatal("subscription not carried by rename")
	}
	re, err := s.CreateMailbox(ctx, a.ID, "Work/2026", store.UseNone)
	if err != nil || re.UIDValidity <= old.UIDValidity {
		t.Fatalf("re-created name must get a greater UIDVALIDITY: %+v (old %d), %v", re, old.UIDValidity, err)
	}
	wantKind(t, "rename onto existing", s.RenameMailbox(ctx, a.ID, "Jobs", "Work"), store.KindExists)
	wantKind(t, "rename missing", s.RenameMailbox(ctx, a.ID, "Nope", "Nope2"), store.KindNotFound)
	wantKind(t, "rename into itself", s.RenameMailbox(ctx, a.ID, "Jobs", "Jobs/x"), store.KindInvalid)
	wantKind(t, "delete INBOX", s.DeleteMailbox(ctx, a.ID, "inbox"), store.KindInvalid)
	if err := s.DeleteMailbox(ctx, a.ID, "Jobs/Old/2026"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Mailbox(ctx, a.ID, "Jobs/Old/2026")
	wantKind(t, "deleted mailbox", err, store.KindNotFound)
	e.mailbox(a.ID, "Jobs/Old/2026/Q4") // inferiors survive

	if err := s.SetSubscribed(ctx, a.ID, "Ghost", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSubscribed(ctx, a.ID, "Drafts", false); err != nil {
		t.Fatal(err)
	}
	subs, _ := s.Subscriptions(ctx, a.ID)
	if !slices.Contains(subs, "Ghost") || slices.Contains(subs, "Drafts") || !slices.Contains(subs, "INBOX") {
		t.Fatalf("Subscriptions = %v", subs)
	}
	if e.mailbox(a.ID, "Drafts").Subscribed {
		t.Fatal("Drafts still subscribed")
	}
}

func testRenameInbox(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	before := e.mailbox(a.ID, "INBOX")
	body := msg("i", 10)
	d := e.deliver(a.ID, "", body)
	if err := e.s.RenameMailbox(e.ctx, a.ID, "INBOX", "Old Inbox"); err != nil {
		t.Fatal(err)
	}
	inbox, old := e.mailbox(a.ID, "INBOX"), e.mailbox(a.ID, "Old Inbox")
	if inbox.UIDValidity != before.UIDValidity || inbox.Messages != 0 || inbox.UIDNext <= d.UID {
		t.Fatalf("INBOX after rename: %+v", inbox)
	}
	ms := e.messages(old.ID)
	if len(ms) != 1 || !bytes.Equal(e.readBlob(ms[0].Blob), body) {
		t.Fatalf("renamed INBOX content: %+v", ms)
	}
	if n := e.deliver(a.ID, "", body); n.UID <= d.UID {
		t.Fatalf("INBOX reused UID %d", n.UID)
	}
}

func testDeliverTargets(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, c := e.account("alice"), e.account("carol")
	body := msg("meta", 10)
	res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{
		{Account: a.ID, Flags: store.FlagSeen, Keywords: []string{"$Forwarded"}},
		{Account: c.ID, MailboxName: "Nope"},
		{Account: 424242},
		{Account: c.ID, MailboxName: "Junk"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[3].Err != nil {
		t.Fatalf("good targets failed: %v / %v", res[0].Err, res[3].Err)
	}
	wantKind(t, "missing mailbox", res[1].Err, store.KindNotFound)
	wantKind(t, "missing account", res[2].Err, store.KindNotFound)
	ma, mc := e.messages(res[0].Mailbox)[0], e.messages(e.mailbox(c.ID, "Junk").ID)[0]
	if ma.Blob != mc.Blob {
		t.Fatal("one delivery to several targets must share one blob")
	}
	if ma.Flags != store.FlagSeen || !slices.Equal(ma.Keywords, []string{"$Forwarded"}) || ma.Size != int64(len(body)) {
		t.Fatalf("stored message: %+v", ma)
	}
	meta, err := e.s.Meta(e.ctx, res[0].Mailbox, res[0].UID)
	if err != nil || meta.Envelope.Subject != "meta" || meta.Envelope.MessageID != "<meta@example.com>" {
		t.Fatalf("Meta = %+v, %v", meta, err)
	}
}

func testAtomicDelivery(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, c := e.account("alice"), e.account("carol")
	if err := e.s.SetQuota(e.ctx, c.ID, 10, 0); err != nil {
		t.Fatal(err)
	}
	body := msg("atomic", 100)
	res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body), Atomic: true},
		[]store.Target{{Account: a.ID}, {Account: c.ID}})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "over-quota target", res[1].Err, store.KindOverQuota)
	wantKind(t, "good target of a failed atomic delivery", res[0].Err, store.KindTemporary)
	if mb := e.mailbox(a.ID, "INBOX"); mb.Messages != 0 || mb.UIDNext != 1 || len(e.messages(mb.ID)) != 0 {
		t.Fatalf("atomic delivery left a message behind: %+v", mb)
	}
	if q, _ := e.s.Quota(e.ctx, a.ID); q.UsedMessages != 0 || q.UsedBytes != 0 {
		t.Fatalf("atomic delivery left quota charged: %+v", q)
	}
	res, err = e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body), Atomic: true},
		[]store.Target{{Account: a.ID}, {Account: a.ID, MailboxName: "Archive"}})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("atomic delivery to good targets: %+v, %v", res, err)
	}
}

func testLargeBody(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	body := msg("big", 3<<20)
	d := e.deliver(a.ID, "", body)
	m := e.messages(d.Mailbox)[0]
	if m.Size != int64(len(body)) || !bytes.Equal(e.readBlob(m.Blob), body) {
		t.Fatal("large body does not round-trip")
	}
	bl, err := e.s.OpenBlob(e.ctx, m.Blob)
	if err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 100)
	if _, err := bl.ReadAt(part, 1<<20); err != nil || !bytes.Equal(part, body[1<<20:1<<20+100]) {
		t.Fatalf("ReadAt: %v", err)
	}
	bl.Close()
	e.reopen()
	if !bytes.Equal(e.readBlob(m.Blob), body) {
		t.Fatal("large body lost across restart")
	}
	if _, err := e.s.Expunge(e.ctx, d.Mailbox, []store.UID{d.UID}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.OpenBlob(e.ctx, m.Blob)
	wantKind(t, "blob of expunged message", err, store.KindNotFound)
}

func testDeleteAccount(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, c := e.account("alice"), e.account("carol")
	body := msg("shared", 10)
	res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: a.ID}, {Account: c.ID}})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatal(err)
	}
	blob := e.messages(res[0].Mailbox)[0].Blob
	if err := e.s.DeleteAccount(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.Account(e.ctx, a.ID)
	wantKind(t, "deleted account", err, store.KindNotFound)
	_, err = e.s.LookupAddress(e.ctx, "alice@example.org")
	wantKind(t, "deleted account's address", err, store.KindNotFound)
	if mbs, _ := e.s.Mailboxes(e.ctx, a.ID); len(mbs) != 0 {
		t.Fatalf("mailboxes left: %v", names(mbs))
	}
	if !bytes.Equal(e.readBlob(blob), body) {
		t.Fatal("shared blob lost while carol still references it")
	}
	if err := e.s.DeleteAccount(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.OpenBlob(e.ctx, blob)
	wantKind(t, "unreferenced blob", err, store.KindNotFound)
	if _, err := e.s.CreateAccount(e.ctx, "alice@example.org", "h"); err != nil {
		t.Fatalf("address not reusable after delete: %v", err)
	}
	wantKind(t, "delete missing account", e.s.DeleteAccount(e.ctx, a.ID), store.KindNotFound)
}

func testClosed(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.Deliver(context.Background(), store.NewMessage{Body: bytes.NewReader(msg("x", 1))}, []store.Target{{Account: a.ID}})
	wantKind(t, "deliver after close", err, store.KindClosed)
	e.open()
}

// testDeleteMailboxIf: a conditional delete goes through only while
// nothing was stored in the mailbox since its UIDNEXT was read.
func testDeleteMailboxIf(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	if _, err := e.s.CreateMailbox(e.ctx, a.ID, "Old", store.UseNone); err != nil {
		t.Fatal(err)
	}
	e.deliver(a.ID, "Old", msg("first", 100))
	seen := e.mailbox(a.ID, "Old")
	e.deliver(a.ID, "Old", msg("late", 100)) // arrives after the caller looked
	wantKind(t, "delete after a delivery", e.s.DeleteMailboxIf(e.ctx, a.ID, "Old", seen.UIDNext), store.KindModified)
	if got := len(e.messages(e.mailbox(a.ID, "Old").ID)); got != 2 {
		t.Fatalf("refused delete left %d messages, want 2", got)
	}
	wantKind(t, "no UIDNEXT", e.s.DeleteMailboxIf(e.ctx, a.ID, "Old", 0), store.KindInvalid)
	wantKind(t, "missing mailbox", e.s.DeleteMailboxIf(e.ctx, a.ID, "Nope", 1), store.KindNotFound)
	wantKind(t, "INBOX", e.s.DeleteMailboxIf(e.ctx, a.ID, "INBOX", e.mailbox(a.ID, "INBOX").UIDNext), store.KindInvalid)
	now := e.mailbox(a.ID, "Old")
	if err := e.s.DeleteMailboxIf(e.ctx, a.ID, "Old", now.UIDNext); err != nil {
		t.Fatalf("delete with the current UIDNEXT: %v", err)
	}
	_, err := e.s.Mailbox(e.ctx, a.ID, "Old")
	wantKind(t, "deleted", err, store.KindNotFound)
	if acct, err := e.s.Account(e.ctx, a.ID); err != nil || acct.Quota.UsedMessages != 0 {
		t.Fatalf("quota still counts %d messages (%v)", acct.Quota.UsedMessages, err)
	}
}

// testFirstAccount: the account created first, whatever the addresses'
// order, and KindNotFound when there are none (any more).
func testFirstAccount(t *testing.T, b Backend) {
	e := newEnv(t, b)
	_, err := e.s.FirstAccount(e.ctx)
	wantKind(t, "no accounts", err, store.KindNotFound)
	z := e.account("zed")
	a := e.account("alice")
	if got, err := e.s.FirstAccount(e.ctx); err != nil || got.ID != z.ID || got.Address != z.Address {
		t.Fatalf("FirstAccount = %+v, %v; want %s", got, err, z.Address)
	}
	if err := e.s.DeleteAccount(e.ctx, z.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.FirstAccount(e.ctx); err != nil || got.ID != a.ID {
		t.Fatalf("FirstAccount after deleting the first = %+v, %v; want %s", got, err, a.Address)
	}
}
