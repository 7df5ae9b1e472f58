package imapd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// NOTIFY on shared mailboxes (notify_shared.go): the owner's changes
// reach a grantee whose filters name the mailbox, under the grantee's
// name of it, with the rights STATUS and LIST need.

const sharedStatus = `* STATUS "Other Users/bob@example.org/Shared" (MESSAGES `

// TestNotifySharedMailboxes: "mailboxes" and "subscribed" on a shared
// mailbox hear the owner's deliveries, between commands and in IDLE.
func TestNotifySharedMailboxes(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lr")
	alice := a.login()
	u := alice.OK("n NOTIFY SET (STATUS) (mailboxes " + sharedBox + " (MessageNew MessageExpunge))")
	if len(u) != 1 || !strings.HasPrefix(u[0], sharedStatus+"1 UIDNEXT 2 ") {
		t.Fatalf("NOTIFY SET (STATUS): %q", u)
	}
	a.deliverOwner("Shared", testMessage("second", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"2 UIDNEXT 3 ") {
		t.Fatalf("after the owner's delivery: %q", l)
	}
	// The owner's other, unshared mailboxes say nothing.
	a.deliverOwner("INBOX", testMessage("private", "x"))
	alice.quiet(300 * time.Millisecond)

	alice.OK("s SUBSCRIBE " + sharedBox)
	alice.OK("n NOTIFY SET (subscribed (MessageNew MessageExpunge))")
	alice.Send("i IDLE\r\n")
	alice.Expect("+ ")
	a.deliverOwner("Shared", testMessage("third", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"3 UIDNEXT 4 ") {
		t.Fatalf("subscribed, in IDLE: %q", l)
	}
	alice.endIdle()
	alice.OK("n NOTIFY NONE")
	a.deliverOwner("Shared", testMessage("fourth", "x"))
	alice.quiet(300 * time.Millisecond)
}

// TestNotifySharedNeedsRead: without "r" no STATUS is sent (RFC 4314
// §4, as for STATUS), not even at NOTIFY SET; with "r" granted later the
// counts come at the owner's next change.
func TestNotifySharedNeedsRead(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "l")
	alice := a.login()
	if u := alice.OK("n NOTIFY SET (STATUS) (mailboxes " + sharedBox + " (MessageNew MessageExpunge FlagChange))"); len(u) != 0 {
		t.Fatalf("NOTIFY SET (STATUS) without r: %q", u)
	}
	a.deliverOwner("Shared", testMessage("second", "x"))
	alice.quiet(300 * time.Millisecond)
	alice.OK("n NOOP")
	a.grant("Shared", "lr")
	a.deliverOwner("Shared", testMessage("third", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"3 UIDNEXT 4 ") {
		t.Fatalf("with r: %q", l)
	}
}

// TestNotifySharedSubtree: "subtree" on the owner's level of "Other
// Users" (the address in any case) takes the owner's shared mailboxes,
// with their renames as LIST (MailboxName); "personal" does not take
// them (RFC 5465 §6), even listed first.
func TestNotifySharedSubtree(t *testing.T) {
	a := newACLEnv(t)
	ctx := context.Background()
	if _, err := a.st.CreateMailbox(ctx, a.owner.ID, "Shared/Sub", store.UseNone); err != nil {
		t.Fatal(err)
	}
	a.grant("Shared", "lr")
	a.grant("Shared/Sub", "l")
	alice := a.login()
	alice.OK(`n NOTIFY SET (personal (MessageNew MessageExpunge FlagChange)) ` +
		`(subtree "Other Users/Bob@Example.ORG" (MessageNew MessageExpunge MailboxName))`)
	a.deliverOwner("Shared", testMessage("second", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"2 UIDNEXT 3 ") {
		t.Fatalf("subtree: %q", l)
	}
	// A flag change: the subtree group has no FlagChange, and personal
	// is not the shared mailbox's group.
	bob := a.loginAs(ownerUser)
	bob.OK("s SELECT Shared")
	bob.OK(`f STORE 1 +FLAGS (\Seen)`)
	alice.quiet(300 * time.Millisecond)
	if err := a.st.RenameMailbox(ctx, a.owner.ID, "Shared/Sub", "Shared/Renamed"); err != nil {
		t.Fatal(err)
	}
	want := `* LIST () "/" "Other Users/bob@example.org/Shared/Renamed" ("OLDNAME" ("Other Users/bob@example.org/Shared/Sub"))`
	if l := alice.next(); l != want {
		t.Fatalf("rename: %q, want %q", l, want)
	}
}

// TestNotifySharedRevoke: rights taken away by the owner stop the
// events at the owner's next change ("r": no STATUS; all rights: the
// mailbox is no longer followed).
func TestNotifySharedRevoke(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lr")
	alice := a.login()
	alice.OK("n NOTIFY SET (mailboxes " + sharedBox + " (MessageNew MessageExpunge))")
	a.deliverOwner("Shared", testMessage("second", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"2 ") {
		t.Fatalf("granted: %q", l)
	}
	a.grant("Shared", "l")
	a.deliverOwner("Shared", testMessage("third", "x"))
	alice.quiet(300 * time.Millisecond)
	a.grant("Shared", "lr")
	a.deliverOwner("Shared", testMessage("fourth", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"4 ") {
		t.Fatalf("granted again: %q", l)
	}
	a.grant("Shared", "")
	a.deliverOwner("Shared", testMessage("fifth", "x"))
	alice.quiet(300 * time.Millisecond)
	if u := alice.OK("n NOOP"); len(u) != 0 {
		t.Errorf("revoked, NOOP told %q", u)
	}
}

// TestNotifyOwnersBound: at most maxNotifyOwners owners are followed,
// those the filters name first.
func TestNotifyOwnersBound(t *testing.T) {
	var sh notifyShared
	for i := range maxNotifyOwners + 4 {
		sh.addNamed(store.AccountID(100 + i))
	}
	owners := append([]store.AccountID(nil), sh.named...)
	for i := range 8 {
		owners = addOwner(owners, store.AccountID(i+1))
	}
	if len(owners) != maxNotifyOwners || owners[0] != 100 || hasOwner(owners, 1) {
		t.Fatalf("owners: %v", owners)
	}
	hub := &store.Hub{}
	if !sh.follow(hub, owners) || sh.follow(hub, owners) || len(hub.SubscribedAccounts()) != maxNotifyOwners {
		t.Fatalf("follow: %d feeds", len(hub.SubscribedAccounts()))
	}
	sh.close()
	if n := len(hub.SubscribedAccounts()); n != 0 {
		t.Fatalf("after close: %d feeds", n)
	}
}

// TestNotifySharedLater: a mailbox shared after NOTIFY SET, of an owner
// the filter names, is heard of at the owner's next change, its STATUS
// first.
func TestNotifySharedLater(t *testing.T) {
	a := newACLEnv(t)
	alice := a.login()
	if u := alice.OK("n NOTIFY SET (STATUS) (mailboxes " + sharedBox + " (MessageNew MessageExpunge))"); len(u) != 0 {
		t.Fatalf("NOTIFY SET (STATUS) before the grant: %q", u)
	}
	a.deliverOwner("Shared", testMessage("second", "x"))
	alice.quiet(300 * time.Millisecond)
	a.grant("Shared", "lr")
	a.deliverOwner("Shared", testMessage("third", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"3 UIDNEXT 4 ") {
		t.Fatalf("after the grant: %q", l)
	}
	a.deliverOwner("Shared", testMessage("fourth", "x"))
	if l := alice.next(); !strings.HasPrefix(l, sharedStatus+"4 UIDNEXT 5 ") {
		t.Fatalf("next: %q", l)
	}
}
