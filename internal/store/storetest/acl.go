package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// rightsOf renders a mailbox's entries as "grantee=rights" for comparison.
func (e *env) rightsOf(mb store.MailboxID) []string {
	e.t.Helper()
	entries, err := e.s.MailboxRights(e.ctx, mb)
	if err != nil {
		e.t.Fatalf("MailboxRights(%d): %v", mb, err)
	}
	var out []string
	for _, x := range entries {
		if x.Mailbox != mb {
			e.t.Fatalf("entry of mailbox %d listed for %d", x.Mailbox, mb)
		}
		out = append(out, fmt.Sprintf("%d=%s", x.Grantee, x.Rights))
	}
	return out
}

func (e *env) setRights(mb store.MailboxID, grantee store.AccountID, rights string) {
	e.t.Helper()
	if err := e.s.SetRights(e.ctx, mb, grantee, rights); err != nil {
		e.t.Fatalf("SetRights(%d, %d, %q): %v", mb, grantee, rights, err)
	}
}

// shared renders SharedWith as "owner:mailbox=rights (messages)".
func (e *env) shared(acct store.AccountID, domain string) []string {
	e.t.Helper()
	list, err := e.s.SharedWith(e.ctx, acct, domain)
	if err != nil {
		e.t.Fatalf("SharedWith(%d): %v", acct, err)
	}
	var out []string
	for _, sm := range list {
		out = append(out, fmt.Sprintf("%s:%s=%s (%d)", sm.Owner, sm.Mailbox.Name, sm.Rights, sm.Mailbox.Messages))
	}
	return out
}

func wantList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// testACLEntries checks SetRights and MailboxRights: replace, delete,
// canonical order, the listing order and every refusal.
func testACLEntries(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	a, bob, carol := e.account("alice"), e.account("bob"), e.account("carol")
	work, err := s.CreateMailbox(ctx, a.ID, "Work", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	wantList(t, "no entries", e.rightsOf(work.ID))
	e.setRights(work.ID, carol.ID, "rl")
	e.setRights(work.ID, bob.ID, "lrswipkxtea")
	e.setRights(work.ID, store.Anyone, "ll")
	wantList(t, "entries", e.rightsOf(work.ID), "0=l", fmt.Sprintf("%d=lrswipkxtea", bob.ID), fmt.Sprintf("%d=lr", carol.ID))
	e.setRights(work.ID, bob.ID, "ail") // replaces, canonical order
	e.setRights(work.ID, store.Anyone, "")
	wantList(t, "after replace and delete", e.rightsOf(work.ID), fmt.Sprintf("%d=lia", bob.ID), fmt.Sprintf("%d=lr", carol.ID))
	if err := s.SetRights(ctx, work.ID, carol.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRights(ctx, work.ID, carol.ID, ""); err != nil {
		t.Fatalf("deleting a missing entry: %v", err)
	}
	wantList(t, "after delete", e.rightsOf(work.ID), fmt.Sprintf("%d=lia", bob.ID))

	wantKind(t, "owner", s.SetRights(ctx, work.ID, a.ID, "lr"), store.KindInvalid)
	for _, bad := range []string{"lrz", "c", "d", "L", " ", "l,r"} {
		wantKind(t, "rights "+bad, s.SetRights(ctx, work.ID, bob.ID, bad), store.KindInvalid)
	}
	wantKind(t, "missing grantee", s.SetRights(ctx, work.ID, carol.ID+1000, "l"), store.KindNotFound)
	wantKind(t, "missing mailbox", s.SetRights(ctx, work.ID+1000, bob.ID, "l"), store.KindNotFound)
	_, err = s.MailboxRights(ctx, work.ID+1000)
	wantKind(t, "rights of a missing mailbox", err, store.KindNotFound)
	wantList(t, "after refusals", e.rightsOf(work.ID), fmt.Sprintf("%d=lia", bob.ID))

	e.reopen()
	wantList(t, "after reopen", e.rightsOf(work.ID), fmt.Sprintf("%d=lia", bob.ID))
}

// testACLLifetime checks that entries go with their mailbox and with the
// owner's or grantee's account, and stay across RENAME.
func testACLLifetime(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	a, bob, carol := e.account("alice"), e.account("bob"), e.account("carol")
	q4, err := s.CreateMailbox(ctx, a.ID, "Work/Q4", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	inbox := e.mailbox(a.ID, store.InboxName)
	e.setRights(q4.ID, bob.ID, "lr")
	e.setRights(inbox.ID, bob.ID, "lrs")
	e.setRights(inbox.ID, carol.ID, "l")

	if err := s.RenameMailbox(ctx, a.ID, "Work", "Jobs"); err != nil {
		t.Fatal(err)
	}
	moved := e.mailbox(a.ID, "Jobs/Q4")
	if moved.ID != q4.ID {
		t.Fatalf("rename changed the mailbox ID %d -> %d", q4.ID, moved.ID)
	}
	wantList(t, "renamed inferior", e.rightsOf(moved.ID), fmt.Sprintf("%d=lr", bob.ID))
	wantList(t, "bob sees", e.shared(bob.ID, "example.org"), "alice@example.org:INBOX=lrs (0)", "alice@example.org:Jobs/Q4=lr (0)")
	// Renaming INBOX moves its messages to a new mailbox; the entries
	// stay with INBOX (RFC 9051 §6.3.6).
	if err := s.RenameMailbox(ctx, a.ID, store.InboxName, "Old"); err != nil {
		t.Fatal(err)
	}
	wantList(t, "INBOX after its rename", e.rightsOf(inbox.ID), fmt.Sprintf("%d=lrs", bob.ID), fmt.Sprintf("%d=l", carol.ID))
	wantList(t, "new mailbox of the INBOX rename", e.rightsOf(e.mailbox(a.ID, "Old").ID))

	// DELETE drops them: a mailbox created with the same name has none.
	if err := s.DeleteMailbox(ctx, a.ID, "Jobs/Q4"); err != nil {
		t.Fatal(err)
	}
	_, err = s.MailboxRights(ctx, q4.ID)
	wantKind(t, "rights of a deleted mailbox", err, store.KindNotFound)
	again, err := s.CreateMailbox(ctx, a.ID, "Jobs/Q4", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	wantList(t, "re-created mailbox", e.rightsOf(again.ID))
	wantList(t, "bob sees after delete", e.shared(bob.ID, "example.org"), "alice@example.org:INBOX=lrs (0)")

	// The grantee's account takes its entries along, not the others'.
	if err := s.DeleteAccount(ctx, carol.ID); err != nil {
		t.Fatal(err)
	}
	wantList(t, "after the grantee's deletion", e.rightsOf(inbox.ID), fmt.Sprintf("%d=lrs", bob.ID))
	// A new account never inherits a deleted one's entries (IDs are not
	// reused, and the entries are gone).
	carol2 := e.account("carol")
	wantList(t, "new carol sees", e.shared(carol2.ID, "example.org"))

	// The owner's account takes the entries on its mailboxes along.
	e.setRights(inbox.ID, store.Anyone, "l")
	if err := s.DeleteAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.MailboxRights(ctx, inbox.ID)
	wantKind(t, "rights after the owner's deletion", err, store.KindNotFound)
	wantList(t, "bob sees after the owner's deletion", e.shared(bob.ID, "example.org"))
	wantList(t, "carol sees after the owner's deletion", e.shared(carol2.ID, "example.org"))
}

// testSharedWith checks SharedWith: direct entries, Anyone entries of
// owners in the domain only, the direct entry over Anyone's, never the
// account's own mailboxes, the order and the counts.
func testSharedWith(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	if err := s.AddDomain(ctx, "example.net"); err != nil {
		t.Fatal(err)
	}
	a, bob, zed := e.account("alice"), e.account("bob"), e.account("zed")
	dave, err := s.CreateAccount(ctx, "dave@example.net", "hash")
	if err != nil {
		t.Fatal(err)
	}
	aInbox, bInbox := e.mailbox(a.ID, store.InboxName), e.mailbox(bob.ID, store.InboxName)
	aTeam, err := s.CreateMailbox(ctx, a.ID, "Team", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	zArch := e.mailbox(zed.ID, "Archive")
	dInbox := e.mailbox(dave.ID, store.InboxName)
	e.deliver(a.ID, "Team", msg("t1", 10))
	e.deliver(a.ID, "Team", msg("t2", 10))

	e.setRights(aTeam.ID, store.Anyone, "lr")  // everyone at example.org
	e.setRights(aTeam.ID, bob.ID, "lrswi")     // bob's own entry wins
	e.setRights(aInbox.ID, dave.ID, "l")       // across domains, directly
	e.setRights(zArch.ID, bob.ID, "lr")        // another owner, ordered after alice
	e.setRights(bInbox.ID, store.Anyone, "lr") // bob's own: never listed for bob
	e.setRights(dInbox.ID, store.Anyone, "lr") // example.net only

	wantList(t, "bob", e.shared(bob.ID, "example.org"),
		"alice@example.org:Team=lrswi (2)", "zed@example.org:Archive=lr (0)")
	wantList(t, "zed", e.shared(zed.ID, "example.org"),
		"alice@example.org:Team=lr (2)", "bob@example.org:INBOX=lr (0)")
	wantList(t, "alice", e.shared(a.ID, "example.org"), "bob@example.org:INBOX=lr (0)")
	wantList(t, "dave", e.shared(dave.ID, "example.net"), "alice@example.org:INBOX=l (0)")
	// The domain decides which Anyone entries apply.
	wantList(t, "zed in example.net", e.shared(zed.ID, "example.net"), "dave@example.net:INBOX=lr (0)")

	list, err := s.SharedWith(ctx, bob.ID, "example.org")
	if err != nil || len(list) == 0 {
		t.Fatal(list, err)
	}
	if got := list[0].Mailbox; got.ID != aTeam.ID || got.Account != a.ID || got.UIDValidity != aTeam.UIDValidity || got.UIDNext != 3 {
		t.Fatalf("shared mailbox = %+v, want alice's Team with UIDNEXT 3", got)
	}
	e.setRights(aTeam.ID, bob.ID, "")
	wantList(t, "bob after his entry went", e.shared(bob.ID, "example.org"),
		"alice@example.org:Team=lr (2)", "zed@example.org:Archive=lr (0)")
}

// testSharedWithBounded: an account that shares more mailboxes than
// store.MaxSharedMailboxes with another gets only the first of them
// listed, in order, so a grantee's LIST stays bounded.
func testSharedWithBounded(t *testing.T, b Backend) {
	e := newEnv(t, b)
	owner, grantee := e.account("flood"), e.account("victim")
	for i := range store.MaxSharedMailboxes + 1 {
		mb, err := e.s.CreateMailbox(e.ctx, owner.ID, fmt.Sprintf("m%05d", i), store.UseNone)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetRights(e.ctx, mb.ID, grantee.ID, "lr"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.s.SharedWith(e.ctx, grantee.ID, "example.org")
	if err != nil || len(got) != store.MaxSharedMailboxes {
		t.Fatalf("SharedWith: %d entries, %v; want %d", len(got), err, store.MaxSharedMailboxes)
	}
	if first, last := got[0].Mailbox.Name, got[len(got)-1].Mailbox.Name; first != "m00000" || last != fmt.Sprintf("m%05d", store.MaxSharedMailboxes-1) {
		t.Fatalf("SharedWith lists %s .. %s", first, last)
	}
}
