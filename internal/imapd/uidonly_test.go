package imapd

import (
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestUIDOnly: after ENABLE UIDONLY (RFC 9586), sequence numbers are
// refused with BAD [UIDREQUIRED], FETCH responses are UIDFETCH and
// expunges are VANISHED, solicited and not.
func TestUIDOnly(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 3; i++ {
		e.deliver("", testMessage("m"+itoa(i), "x"), 0)
	}
	r := e.login()
	if !has(r.OK("c CAPABILITY"), " UIDONLY") {
		t.Fatal("CAPABILITY lacks UIDONLY")
	}
	r.exact("e ENABLE IMAP4rev2 UIDONLY", "OK", "* ENABLED IMAP4rev2 UIDONLY")
	r.OK("s SELECT INBOX")
	for _, cmd := range []string{"FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "COPY 1 Trash",
		"MOVE 1 Trash", "UID SEARCH 1:2", "UID SEARCH OR UID 1 NOT 2"} {
		r.status("b "+cmd, "BAD [UIDREQUIRED]")
	}
	r.exact("f UID FETCH 2:3 (FLAGS)", "OK", "* 2 UIDFETCH (FLAGS ())", "* 3 UIDFETCH (FLAGS ())")
	r.exact("f2 UID FETCH 3 (UID RFC822.SIZE)", "OK", "* 3 UIDFETCH (UID 3 RFC822.SIZE 138)")
	r.exact("st UID STORE 3 +FLAGS (\\Flagged)", "OK", "* 3 UIDFETCH (FLAGS (\\Flagged))")
	r.exact("se UID SEARCH RETURN (ALL) UID 2:3 FLAGGED", "OK", `* ESEARCH (TAG "se") UID ALL 3`)
	r.exact("ex UID EXPUNGE 1", "OK") // not \Deleted: nothing
	r.OK("d UID STORE 1 +FLAGS.SILENT (\\Deleted)")
	r.exact("ex2 EXPUNGE", "OK", "* VANISHED 1")
	// Changes made elsewhere: UIDFETCH and VANISHED too.
	if _, err := e.st.StoreFlags(t.Context(), inboxID(t, e), []store.UID{2}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Expunge(t.Context(), inboxID(t, e), []store.UID{3}); err != nil {
		t.Fatal(err)
	}
	r.exact("n NOOP", "OK", "* 2 UIDFETCH (FLAGS (\\Seen))", "* VANISHED 3")
	r.OK("q ENABLE QRESYNC")
	r.status("q2 SELECT INBOX (QRESYNC (1 1 1:2 (1 1)))", "BAD [UIDREQUIRED]")
}

func inboxID(t *testing.T, e *env) store.MailboxID {
	mb, err := e.st.Mailbox(t.Context(), e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return mb.ID
}
