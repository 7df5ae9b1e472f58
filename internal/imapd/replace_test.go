package imapd

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func literalCmd(r *raw, prefix, msg string) ([]string, string) {
	r.Send(prefix + " {" + itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	tag, _, _ := strings.Cut(prefix, " ")
	return r.Until(tag)
}

// TestReplace: REPLACE and UID REPLACE (RFC 8508) on the wire: the
// APPENDUID in an untagged OK, the old message expunged, and nothing done
// when the command fails.
func TestReplace(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("draft1", "v1"), 0)
	e.deliver("", testMessage("other", "x"), 0)
	r := e.login()
	if !has(r.OK("c CAPABILITY"), " REPLACE") {
		t.Fatal("CAPABILITY lacks REPLACE")
	}
	r.OK("e2 ENABLE IMAP4rev2") // no RECENT, no \Recent
	sel := r.OK("s SELECT INBOX")
	uv := respCode(sel, "UIDVALIDITY")
	u, tagged := literalCmd(r, `p1 REPLACE 1 INBOX (\Seen) "07-Feb-1994 21:52:25 -0800"`, testMessage("draft1", "v2"))
	if !strings.HasPrefix(tagged, "p1 OK") || strings.Join(u, "\n") != "* OK [APPENDUID "+uv+" 3] Replacement message ready\n* 1 EXPUNGE\n* 2 EXISTS" {
		t.Fatalf("REPLACE: %q %q", u, tagged)
	}
	r.exact("f UID FETCH 1:* (FLAGS BODY.PEEK[TEXT])", "OK",
		"* 1 FETCH (UID 2 FLAGS () BODY[TEXT] {3}\r\nx\r\n)",
		"* 2 FETCH (UID 3 FLAGS (\\Seen) BODY[TEXT] {4}\r\nv2\r\n)")

	// UID REPLACE into another mailbox, with QRESYNC: VANISHED.
	r.OK("e ENABLE QRESYNC")
	u, tagged = literalCmd(r, `p2 UID REPLACE 3 Drafts`, testMessage("draft1", "v3"))
	if !strings.HasPrefix(tagged, "p2 OK") || !has(u, "[APPENDUID ") || !has(u, "* VANISHED 3") {
		t.Fatalf("UID REPLACE: %q %q", u, tagged)
	}
	r.exact("st STATUS Drafts (MESSAGES)", "OK", `* STATUS Drafts (MESSAGES 1)`)

	// Failures change nothing: a sequence number out of range (BAD), an
	// unknown UID, a missing target mailbox, a read-only mailbox.
	_, tagged = literalCmd(r, "p3 REPLACE 9 Drafts", "Subject: no\r\n\r\nno\r\n")
	if !strings.HasPrefix(tagged, "p3 BAD") {
		t.Errorf("out of range: %q", tagged)
	}
	_, tagged = literalCmd(r, "p4 UID REPLACE 99 Drafts", "Subject: no\r\n\r\nno\r\n")
	if !strings.HasPrefix(tagged, "p4 NO [NONEXISTENT]") {
		t.Errorf("unknown UID: %q", tagged)
	}
	_, tagged = literalCmd(r, "p5 UID REPLACE 2 Nope", "Subject: no\r\n\r\nno\r\n")
	if !strings.HasPrefix(tagged, "p5 NO [TRYCREATE]") {
		t.Errorf("missing mailbox: %q", tagged)
	}
	r.OK("x EXAMINE INBOX")
	_, tagged = literalCmd(r, "p6 REPLACE 1 Drafts", "Subject: no\r\n\r\nno\r\n")
	if !strings.HasPrefix(tagged, "p6 NO [READ-ONLY]") {
		t.Errorf("read-only: %q", tagged)
	}
	r.exact("st2 STATUS Drafts (MESSAGES)", "OK", `* STATUS Drafts (MESSAGES 1)`)
	r.exact("st3 STATUS INBOX (MESSAGES)", "OK", `* STATUS INBOX (MESSAGES 1)`)
	r.OK("u UNSELECT")
	_, tagged = literalCmd(r, "p7 REPLACE 1 Drafts", "Subject: no\r\n\r\nno\r\n")
	if !strings.HasPrefix(tagged, "p7 BAD") {
		t.Errorf("not selected: %q", tagged)
	}
}

// failExpunge fails the expunges of one mailbox.
type failExpunge struct {
	Store
	mailbox atomic.Int64
}

func (f *failExpunge) Expunge(ctx context.Context, mb store.MailboxID, uids []store.UID) ([]store.UID, error) {
	if int64(mb) == f.mailbox.Load() {
		return nil, store.Errorf(store.KindTemporary, "expunge", "test failure")
	}
	return f.Store.Expunge(ctx, mb, uids)
}

// TestReplaceUndo: when the old message cannot be expunged, the new one
// is removed again and REPLACE fails (cmd_replace.go).
func TestReplaceUndo(t *testing.T) {
	fs := &failExpunge{}
	e := newEnv(t, func(_ *Config, d *Deps) { fs.Store = d.Store; d.Store = fs })
	e.deliver("", testMessage("draft1", "v1"), 0)
	inbox, err := e.st.Mailbox(context.Background(), e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	fs.mailbox.Store(int64(inbox.ID))
	r := e.login()
	r.OK("s SELECT INBOX")
	u, tagged := literalCmd(r, "p REPLACE 1 Drafts", testMessage("draft1", "v2"))
	if !strings.HasPrefix(tagged, "p NO [UNAVAILABLE]") || has(u, "APPENDUID") {
		t.Fatalf("REPLACE with a failing expunge: %q %q", u, tagged)
	}
	r.exact("st STATUS Drafts (MESSAGES)", "OK", `* STATUS Drafts (MESSAGES 0)`)
	r.exact("st2 STATUS INBOX (MESSAGES)", "OK", `* STATUS INBOX (MESSAGES 1)`)
}
