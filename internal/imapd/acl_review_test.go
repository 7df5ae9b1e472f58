package imapd

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Regression tests of the security review of shared mailboxes (RFC 4314).

// TestACLRevokedNoPush: once the owner takes "r" away, a session that
// selected the shared mailbox hears nothing more of it in IDLE or
// through NOTIFY: not an EXISTS, not a FETCH of a new message's body
// (RFC 4314 §4; the rights were read only before each command).
func TestACLRevokedNoPush(t *testing.T) {
	for _, mode := range []string{"IDLE", "NOTIFY"} {
		t.Run(mode, func(t *testing.T) {
			a := newACLEnv(t)
			a.grant("Shared", "lr")
			alice := a.login()
			alice.OK("s SELECT " + sharedBox)
			if mode == "IDLE" {
				alice.Send("i IDLE\r\n")
				alice.Expect("+ ")
			} else {
				alice.OK("n NOTIFY SET (selected (MessageNew (UID BODY.PEEK[]) MessageExpunge))")
			}
			a.grant("Shared", "") // revoked
			a.deliverOwner("Shared", testMessage("later", "Quagmireword"))
			alice.C.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
			if l, err := alice.R.ReadString('\n'); err == nil {
				t.Fatalf("after revocation: %q", strings.TrimSpace(l))
			}
		})
	}
}

// TestACLCreateSharedNoSpecialUse: a grantee with "k" cannot give a
// mailbox it creates in the owner's account a special-use attribute:
// delivery files the owner's junk into the account's \Junk mailbox
// (internal/delivery), so a \Junk mailbox that inherits the grantee's
// "r" would hand it mail it was never granted.
func TestACLCreateSharedNoSpecialUse(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lrk")
	alice := a.login()
	alice.status(`c CREATE "Other Users/bob@example.org/Shared/Trap" (USE (\Junk))`, "NO [NOPERM]")
	if a.exists("Shared/Trap") {
		t.Fatal("the mailbox was created")
	}
	alice.OK(`c CREATE "Other Users/bob@example.org/Shared/Plain"`) // without an attribute: "k" allows it
}

// TestACLNoUIDCodesWithoutRead: APPEND, COPY and MOVE into a shared
// mailbox with "i" but not "r" answer without APPENDUID or COPYUID: they
// tell the mailbox's UIDVALIDITY and next UIDs (RFC 4315 §6: not to a
// client that could not SELECT or EXAMINE it).
func TestACLNoUIDCodesWithoutRead(t *testing.T) {
	a := newACLEnv(t)
	a.deliver("", testMessage("one", "body"), 0)
	a.deliver("", testMessage("two", "body"), 0)
	a.grant("Shared", "li")
	alice := a.login()
	alice.OK("s SELECT INBOX")
	msg := testMessage("appended", "hello")
	for _, c := range []string{
		"a APPEND " + sharedBox + " {" + itoa(len(msg)) + "+}\r\n" + msg,
		"c UID COPY 1 " + sharedBox,
		"m UID MOVE 2 " + sharedBox,
	} {
		u, tagged := alice.Cmd(c)
		if !strings.Contains(tagged, " OK ") {
			t.Fatalf("%.20s: %q", c, tagged)
		}
		for _, l := range append(u, tagged) {
			if strings.Contains(l, "UID ") && (strings.Contains(l, "APPENDUID") || strings.Contains(l, "COPYUID")) {
				t.Errorf("without r: %q", l)
			}
		}
	}
	if a.count("Shared") != 4 {
		t.Errorf("Shared has %d messages, want 4", a.count("Shared"))
	}
}

// TestACLRevokedCanLeave: a session whose "r" was taken away from the
// selected shared mailbox may still leave it with UNSELECT or CLOSE
// (they read nothing); FETCH stays refused.
func TestACLRevokedCanLeave(t *testing.T) {
	a := newACLEnv(t)
	for _, leave := range []string{"UNSELECT", "CLOSE"} {
		a.grant("Shared", "lr")
		alice := a.login()
		alice.OK("s SELECT " + sharedBox)
		a.grant("Shared", "")
		alice.status("f FETCH 1 (FLAGS)", "NO [NOPERM]")
		alice.status("u "+leave, "OK")
		alice.status("f FETCH 1 (FLAGS)", "BAD")
	}
}

// TestACLSharedDeletedInIdle: the owner deleting the selected shared
// mailbox ends an IDLE grantee's session with BYE, as for one's own.
func TestACLSharedDeletedInIdle(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lr")
	alice := a.login()
	alice.OK("s SELECT " + sharedBox)
	alice.Send("i IDLE\r\n")
	alice.Expect("+ ")
	if err := a.st.DeleteMailbox(context.Background(), a.owner.ID, "Shared"); err != nil {
		t.Fatal(err)
	}
	a.deliverOwner("INBOX", testMessage("wake", "body")) // the owner's feed
	alice.C.SetReadDeadline(time.Now().Add(10 * time.Second))
	alice.Expect("* BYE")
}

// TestACLCreateEmptyOwner: "Other Users//<name>" names no owner; CREATE
// on it made a mailbox of the session's own (the empty owner made the
// parent's shared name the own name).
func TestACLCreateEmptyOwner(t *testing.T) {
	a := newACLEnv(t)
	alice := a.login()
	alice.status(`c CREATE "Other Users//INBOX/x"`, "NO [NONEXISTENT]")
	if _, err := a.st.Mailbox(context.Background(), a.acct.ID, "INBOX/x"); err == nil {
		t.Error("INBOX/x was created in the session's own account")
	}
}
