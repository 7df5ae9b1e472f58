package imapd

import (
	"github.com/petrelmail/petrel/internal/store"
	"strings"
	"testing"
	"time"
)

// TestACLCommands: SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS
// (RFC 4314 §3) byte for byte, their refusals, CAPABILITY and NAMESPACE.
func TestACLCommands(t *testing.T) {
	a := newACLEnv(t)
	bob := a.loginAs(ownerUser)
	u, _ := bob.Cmd("c CAPABILITY")
	if !has(u, " ACL RIGHTS=texk LIST-MYRIGHTS") {
		t.Errorf("CAPABILITY: %q", u)
	}
	bob.exact("n NAMESPACE", "OK", `* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL`)
	bob.exact("g GETACL Shared", "OK", `* ACL Shared bob@example.org lrswipkxteacd`)
	bob.exact("s SETACL Shared alice@example.org lr", "OK")
	bob.exact("s SETACL Shared anyone +p", "OK")
	bob.exact("s SETACL Shared Alice@Example.ORG +wc", "OK") // c is k and x (RFC 4314 §2.1.1)
	bob.exact("g GETACL Shared", "OK",
		`* ACL Shared bob@example.org lrswipkxteacd anyone p alice@example.org lrwkxc`)
	bob.exact("s SETACL Shared alice@example.org -x", "OK")
	bob.exact("s SETACL Shared alice@example.org lrswida", "OK") // §2.1.1's example: d is e and t
	bob.exact("g GETACL Shared", "OK", `* ACL Shared bob@example.org lrswipkxteacd anyone p alice@example.org lrswitead`)
	bob.exact("s SETACL Shared alice@example.org -a", "OK")
	bob.exact("m MYRIGHTS Shared", "OK", `* MYRIGHTS Shared lrswipkxteacd`)
	bob.exact("l LISTRIGHTS Shared alice@example.org", "OK", `* LISTRIGHTS Shared alice@example.org "" l r s w i p k x t e a c d`)
	bob.exact("l LISTRIGHTS Shared bob@example.org", "OK", `* LISTRIGHTS Shared bob@example.org lrswipkxteacd`)
	// Refusals: the owner, negative rights, unknown rights and accounts.
	bob.status("s SETACL Shared bob@example.org lr", "NO [CANNOT]")
	bob.status("s SETACL Shared -alice@example.org w", "NO [CANNOT] Negative rights")
	bob.status("s SETACL Shared alice@example.org lrz", "BAD")
	bob.status("s SETACL Shared nobody@example.org lr", "NO")
	bob.status("s SETACL Shared nobody lr", "NO")
	bob.status("s SETACL Nope alice@example.org lr", "NO [NONEXISTENT]")
	bob.status("d DELETEACL Shared -alice@example.org", "NO [CANNOT]")
	bob.exact("d DELETEACL Shared anyone", "OK")
	bob.exact("g GETACL Shared", "OK", `* ACL Shared bob@example.org lrswipkxteacd alice@example.org lrswited`)

	alice := a.login()
	alice.exact("m MYRIGHTS "+sharedBox, "OK", `* MYRIGHTS "Other Users/bob@example.org/Shared" lrswited`)
	alice.status("g GETMETADATA "+sharedBox+" /private/comment", "NO [CANNOT]")
	alice.exact("q GETQUOTAROOT "+sharedBox, "OK", `* QUOTAROOT "Other Users/bob@example.org/Shared"`)
	// The owner's address in any case; the answer names it canonically.
	alice.exact(`m MYRIGHTS "Other Users/Bob@EXAMPLE.org/shared"`, "NO [NONEXISTENT]")
	alice.exact(`m MYRIGHTS "Other Users/Bob@EXAMPLE.org/Shared"`, "OK", `* MYRIGHTS "Other Users/bob@example.org/Shared" lrswited`)
	alice.status("g GETACL "+sharedBox, "NO [NOPERM]")
	alice.status("s SETACL "+sharedBox+" carol@example.org lr", "NO [NOPERM]")
	bob.exact("s SETACL Shared alice@example.org +a", "OK")
	alice.exact("s SETACL "+sharedBox+" carol@example.org lr", "OK")
	alice.status("s SETACL "+sharedBox+" bob@example.org l", "NO [CANNOT]")
	alice.exact("g GETACL "+sharedBox, "OK",
		`* ACL "Other Users/bob@example.org/Shared" bob@example.org lrswipkxteacd alice@example.org lrswitead carol@example.org lr`)
	bob.exact("d DELETEACL Shared alice@example.org", "OK")
	// Without "l" and "r" the mailbox is answered as one that does not
	// exist, word for word (RFC 4314 §6).
	_, gone := alice.Cmd("m MYRIGHTS " + sharedBox)
	_, none := alice.Cmd("m MYRIGHTS \"Other Users/bob@example.org/Nope\"")
	_, noOwner := alice.Cmd("m MYRIGHTS \"Other Users/nobody@example.org/Shared\"")
	if gone != none || gone != noOwner || !strings.HasPrefix(gone, "m NO [NONEXISTENT]") {
		t.Errorf("revoked %q, missing mailbox %q, missing owner %q: want one NONEXISTENT answer", gone, none, noOwner)
	}
	for _, cmd := range []string{"SELECT", "EXAMINE", "GETACL", "DELETE"} {
		_, g := alice.Cmd("x " + cmd + " " + sharedBox)
		_, n := alice.Cmd("x " + cmd + " \"Other Users/bob@example.org/Nope\"")
		if g != n {
			t.Errorf("%s: %q for a hidden mailbox, %q for a missing one", cmd, g, n)
		}
	}
	alice.status("c CREATE \"Other Users/bob@example.org/Top\"", "NO [NOPERM]")
}

// TestListMyRights: LIST's MYRIGHTS return option (RFC 8440) and the
// "Other Users" hierarchy; only mailboxes with "l" are listed.
func TestListMyRights(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lr")
	a.grant("INBOX", "r") // no "l": not listed
	alice := a.login()
	alice.exact(`l LIST "" (INBOX "Other Users/*") RETURN (MYRIGHTS)`, "OK",
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* MYRIGHTS INBOX lrswipkxteacd`,
		`* LIST (\HasNoChildren) "/" "Other Users/bob@example.org/Shared"`,
		`* MYRIGHTS "Other Users/bob@example.org/Shared" lr`)
	alice.exact(`l LIST "" "O%"`, "OK", `* LIST (\Noselect \HasChildren) "/" "Other Users"`)
	alice.exact(`l LIST "" "Other Users/%"`, "OK", `* LIST (\Noselect \HasChildren) "/" "Other Users/bob@example.org"`)
	alice.exact(`l LIST "" "Other Users/%/%" RETURN (MYRIGHTS STATUS (MESSAGES))`, "OK",
		`* LIST (\HasNoChildren) "/" "Other Users/bob@example.org/Shared"`,
		`* STATUS "Other Users/bob@example.org/Shared" (MESSAGES 1)`,
		`* MYRIGHTS "Other Users/bob@example.org/Shared" lr`)
	a.grant("Shared", "l") // STATUS needs "r": LIST-STATUS leaves it out
	alice.exact(`l LIST "" "Other Users/*" RETURN (STATUS (MESSAGES))`, "OK",
		`* LIST (\HasNoChildren) "/" "Other Users/bob@example.org/Shared"`)
	alice.OK("s SUBSCRIBE " + sharedBox)
	alice.exact(`l LSUB "" "Other*"`, "OK", `* LSUB () "/" "Other Users/bob@example.org/Shared"`)
}

// TestACLNoReadNoByte: a grantee without "r" sees nothing of a message,
// by any command, and losing "r" while the mailbox is selected stops the
// reading at the next command (RFC 4314 §4).
func TestACLNoReadNoByte(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lswiptea") // everything but r (and k x)
	alice := a.login()
	var seen []string
	run := func(line, want string) {
		u := alice.status(line, want)
		seen = append(seen, u...)
	}
	run("s SELECT "+sharedBox, "NO [NOPERM]")
	run("s EXAMINE "+sharedBox, "NO [NOPERM]")
	run("s STATUS "+sharedBox+" (MESSAGES UNSEEN SIZE)", "NO [NOPERM]")
	run(`l LIST "" "Other Users/*" RETURN (STATUS (MESSAGES SIZE UNSEEN))`, "OK")
	run("n NOTIFY SET (mailboxes "+sharedBox+" (MessageNew (UID BODY[]) MessageExpunge))", "")
	// With "r" granted, selected, then taken away by the owner.
	a.grant("Shared", "lr")
	run("s SELECT "+sharedBox, "OK [READ-ONLY]")
	a.grant("Shared", "l")
	for _, cmd := range []string{"FETCH 1 (BODY.PEEK[] PREVIEW)", "UID FETCH 1 BINARY.PEEK[1]",
		"SEARCH TEXT " + secretWord, "UID SORT (SUBJECT) UTF-8 ALL", "THREAD REFERENCES UTF-8 TEXT " + secretWord} {
		run("f "+cmd, "NO [NOPERM]")
	}
	a.deliverOwner("Shared", testMessage("later", secretWord+" again"))
	if u := alice.status("n NOOP", "OK"); len(u) > 0 {
		t.Errorf("without r, NOOP told %q", u)
	}
	for _, l := range seen {
		if strings.Contains(l, secretWord) || strings.Contains(l, "confidential") || strings.Contains(l, "MESSAGES") {
			t.Errorf("without r: %q", l)
		}
	}
}

// TestACLIdleSeesOwner: IDLE on a shared mailbox hears the owner's
// delivery and flag changes (the session follows the owner's feed).
func TestACLIdleSeesOwner(t *testing.T) {
	a := newACLEnv(t)
	a.grant("Shared", "lrs")
	alice := a.login()
	alice.OK("s SELECT " + sharedBox)
	alice.Send("i IDLE\r\n")
	alice.Expect("+ ")
	a.deliverOwner("Shared", testMessage("new", "body"))
	alice.C.SetReadDeadline(time.Now().Add(10 * time.Second))
	alice.Expect("* 2 EXISTS")
	bob := a.loginAs(ownerUser)
	bob.OK(`s SELECT Shared`)
	bob.OK(`f STORE 1 +FLAGS (\Flagged)`)
	for l := alice.Line(); !strings.HasPrefix(l, "* 1 FETCH (") || !strings.Contains(l, `\Flagged`); l = alice.Line() {
		if l != "* 2 RECENT" {
			t.Fatalf("in IDLE: %q", l)
		}
	}
	alice.Send("DONE\r\n")
	alice.Expect("i OK")
	// NOTIFY, without IDLE: the selected shared mailbox's new messages.
	alice.OK("n NOTIFY SET (selected (MessageNew (UID) MessageExpunge))")
	a.deliverOwner("Shared", testMessage("third", "body"))
	alice.Expect("* 3 EXISTS")
}

// TestACLCrossAccountCopy: COPY and MOVE between the session's own
// mailboxes and a shared one need "i" on the destination (and "t" "e"
// on a MOVE's source); flags without "s", "t" or "w" are dropped.
func TestACLCrossAccountCopy(t *testing.T) {
	a := newACLEnv(t)
	a.deliver("", testMessage("mine", "body"), store.FlagSeen|store.FlagFlagged)
	a.grant("Shared", "lrs") // no i
	alice := a.login()
	alice.OK("s SELECT INBOX")
	alice.status("c UID COPY 1 "+sharedBox, "NO [NOPERM]")
	a.grant("Shared", "lris") // i, s but not w
	alice.status("c UID COPY 1 "+sharedBox, "OK [COPYUID ")
	if a.count("Shared") != 2 {
		t.Fatalf("Shared has %d messages, want 2", a.count("Shared"))
	}
	if f, _ := a.ownerFlags("Shared", 2); f != store.FlagSeen {
		t.Errorf("copied flags %v, want \\Seen only (no w for \\Flagged)", f)
	}
	alice.status("m UID MOVE 1 "+sharedBox, "OK")
	if a.count("Shared") != 3 {
		t.Errorf("after MOVE, Shared has %d messages, want 3", a.count("Shared"))
	}
	if f, _ := a.ownerFlags("Shared", 3); f != store.FlagSeen {
		t.Errorf("moved flags %v, want \\Seen only (no w for \\Flagged)", f)
	}
	// And out of the shared mailbox: COPY needs only r there, MOVE t and e.
	alice.OK("s SELECT " + sharedBox)
	alice.status("c UID COPY 1 INBOX", "OK [COPYUID ")
	alice.status("m UID MOVE 1 INBOX", "NO [NOPERM]")
	if a.count("Shared") != 3 {
		t.Errorf("a refused MOVE took messages: %d left", a.count("Shared"))
	}
}
