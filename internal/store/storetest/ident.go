package storetest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// objectID is the form RFC 8474 §3 gives an EMAILID or THREADID.
var objectID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// threadMsg builds a message with the given Message-ID and, when not
// empty, In-Reply-To and References fields (written as they are).
func threadMsg(id, inReplyTo, references string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: a@example.com\r\nSubject: thread test\r\nMessage-ID: %s\r\n", id)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\n", inReplyTo)
	}
	if references != "" {
		fmt.Fprintf(&b, "References: %s\r\n", references)
	}
	b.WriteString("\r\nbody\r\n")
	return b.Bytes()
}

// record returns the one message of mailbox mb with uid.
func (e *env) record(mb store.MailboxID, uid store.UID) store.Message {
	e.t.Helper()
	ms, err := e.s.Messages(e.ctx, mb, uid, uid)
	if err != nil || len(ms) != 1 {
		e.t.Fatalf("Messages(%d, %d) = %v, %v; want one message", mb, uid, ms, err)
	}
	return ms[0]
}

// testEmailIDs checks the message identity (RFC 8474 §5.1): distinct for
// distinct deliveries and appends, even of the same body; the same for
// the targets of one delivery; kept by COPY, MOVE, rename of INBOX and a
// restart; the same in every read (Messages, ChangedSince, WireSizes,
// the bulk read); never handed out again after an expunge; RFC 8474 §3
// objectids.
func testEmailIDs(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	inbox := e.mailbox(a.ID, "INBOX")
	trash := e.mailbox(a.ID, "Trash")
	body := msg("same", 100)
	d1 := e.deliver(a.ID, "", body)
	d2 := e.deliver(a.ID, "", body)
	m1, m2 := e.record(inbox.ID, d1.UID), e.record(inbox.ID, d2.UID)
	if m1.EmailID == 0 || m1.EmailID == m2.EmailID {
		t.Fatalf("two deliveries of one body: EmailIDs %v and %v, want distinct", m1.EmailID, m2.EmailID)
	}
	for _, id := range []string{m1.EmailID.String(), m1.ThreadID.String()} {
		if !objectID.MatchString(id) {
			t.Fatalf("ID %q is not an RFC 8474 objectid", id)
		}
	}
	if m1.EmailID.String() == m2.EmailID.String() {
		t.Fatalf("distinct EmailIDs with one wire form %q", m1.EmailID)
	}
	app, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, []store.AppendMessage{{Body: bytes.NewReader(body)}, {Body: bytes.NewReader(body)}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[store.EmailID]bool{m1.EmailID: true, m2.EmailID: true}
	for _, u := range app.UIDs {
		id := e.record(inbox.ID, u).EmailID
		if id == 0 || seen[id] {
			t.Fatalf("appended message %d: EmailID %v, already given or zero", u, id)
		}
		seen[id] = true
	}

	// One delivery to two mailboxes of one account and to another account.
	bob := e.account("bob")
	res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(msg("multi", 100))},
		[]store.Target{{Account: a.ID}, {Account: a.ID, MailboxName: "Archive"}, {Account: bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	multi := e.record(res[0].Mailbox, res[0].UID)
	if got := e.record(res[1].Mailbox, res[1].UID); got.EmailID != multi.EmailID || got.ThreadID != multi.ThreadID {
		t.Fatalf("targets of one delivery in one account: %v/%v and %v/%v, want one identity",
			multi.EmailID, multi.ThreadID, got.EmailID, got.ThreadID)
	}
	if seen[multi.EmailID] {
		t.Fatalf("new delivery got an EmailID already given")
	}

	cp, err := e.s.Copy(e.ctx, inbox.ID, []store.UID{d1.UID}, trash.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	if c := e.record(trash.ID, cp.Dst[0]); c.EmailID != m1.EmailID || c.ThreadID != m1.ThreadID {
		t.Fatalf("copy: %v/%v, want the source's %v/%v", c.EmailID, c.ThreadID, m1.EmailID, m1.ThreadID)
	}
	mv, err := e.s.Move(e.ctx, inbox.ID, []store.UID{d2.UID}, trash.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	if c := e.record(trash.ID, mv.Dst[0]); c.EmailID != m2.EmailID || c.ThreadID != m2.ThreadID {
		t.Fatalf("move: %v/%v, want the source's %v/%v", c.EmailID, c.ThreadID, m2.EmailID, m2.ThreadID)
	}
	// Renaming INBOX moves its messages (RFC 9051 §6.3.6).
	if err := e.s.RenameMailbox(e.ctx, a.ID, "INBOX", "Old"); err != nil {
		t.Fatal(err)
	}
	old := e.mailbox(a.ID, "Old")
	want := map[store.EmailID]bool{}
	for _, m := range e.messages(old.ID) {
		want[m.EmailID] = true
	}
	if !want[multi.EmailID] || !want[m1.EmailID] || len(want) != 4 {
		t.Fatalf("after renaming INBOX: EmailIDs %v, want the 4 of the old INBOX", want)
	}

	e.reopen()
	if c := e.record(trash.ID, cp.Dst[0]); c.EmailID != m1.EmailID || c.ThreadID != m1.ThreadID {
		t.Fatalf("after restart: %v/%v, want %v/%v", c.EmailID, c.ThreadID, m1.EmailID, m1.ThreadID)
	}
	e.checkIdentityReads(trash.ID)

	// Expunge everything; new mail still gets new IDs.
	for _, mb := range []store.MailboxID{old.ID, trash.ID} {
		var uids []store.UID
		for _, m := range e.messages(mb) {
			uids = append(uids, m.UID)
		}
		if _, err := e.s.Expunge(e.ctx, mb, uids); err != nil {
			t.Fatal(err)
		}
	}
	seen[multi.EmailID] = true
	d3 := e.deliver(a.ID, "", body)
	if id := e.record(e.mailbox(a.ID, "INBOX").ID, d3.UID).EmailID; seen[id] {
		t.Fatalf("delivery after expunge got EmailID %v again", id)
	}
}

// checkIdentityReads checks that every read of mb's messages gives the
// identity Messages gives.
func (e *env) checkIdentityReads(mb store.MailboxID) {
	e.t.Helper()
	type ident struct {
		email  store.EmailID
		thread store.ThreadID
	}
	want := map[store.UID]ident{}
	var uids []store.UID
	for _, m := range e.messages(mb) {
		want[m.UID] = ident{m.EmailID, m.ThreadID}
		uids = append(uids, m.UID)
	}
	check := func(how string, m store.Message) {
		e.t.Helper()
		if w := want[m.UID]; w.email == 0 || w != (ident{m.EmailID, m.ThreadID}) {
			e.t.Fatalf("%s: UID %d has %v/%v, Messages %v/%v", how, m.UID, m.EmailID, m.ThreadID, w.email, w.thread)
		}
	}
	changed, err := e.s.ChangedSince(e.ctx, mb, 0)
	if err != nil || len(changed) != len(want) {
		e.t.Fatalf("ChangedSince: %d messages, %v", len(changed), err)
	}
	for _, m := range changed {
		check("ChangedSince", m)
	}
	sized, err := e.s.WireSizes(e.ctx, mb, 1, 0)
	if err != nil || len(sized) != len(want) {
		e.t.Fatalf("WireSizes: %d messages, %v", len(sized), err)
	}
	for _, m := range sized {
		check("WireSizes", m.Message)
	}
	br, ok := e.s.(store.BulkReader)
	if !ok {
		return
	}
	n := 0
	if err := br.ReadMessages(e.ctx, mb, uids, 0, func(d *store.MessageData) error {
		check("ReadMessages", d.Message)
		n++
		return nil
	}); err != nil || n != len(want) {
		e.t.Fatalf("ReadMessages: %d messages, %v", n, err)
	}
}

// testThreads checks the threading rule (store.ThreadKeys): a reply joins
// its parent's thread by In-Reply-To or References, also across mailboxes
// and a restart; a parent arriving after its reply joins the reply's
// thread; unrelated messages get distinct threads; threads are per
// account; messages of one AppendBatch thread in order.
func testThreads(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	thread := func(acct store.AccountID, mailbox string, body []byte) store.ThreadID {
		t.Helper()
		d := e.deliver(acct, mailbox, body)
		m := e.record(d.Mailbox, d.UID)
		if m.ThreadID == 0 {
			t.Fatalf("message without a thread")
		}
		return m.ThreadID
	}
	root := thread(a.ID, "", threadMsg("<root@x>", "", ""))
	other := thread(a.ID, "", threadMsg("<other@x>", "", ""))
	if other == root {
		t.Fatalf("unrelated messages share thread %v", root)
	}
	if got := thread(a.ID, "Sent", threadMsg("<r1@x>", "<root@x>", "")); got != root {
		t.Fatalf("reply by In-Reply-To: thread %v, want %v", got, root)
	}
	if got := thread(a.ID, "", threadMsg("<r2@x>", "", "<root@x>\r\n <r1@x>")); got != root {
		t.Fatalf("reply by folded References: thread %v, want %v", got, root)
	}
	// References win over In-Reply-To, the root first.
	if got := thread(a.ID, "", threadMsg("<r3@x>", "<other@x>", "<root@x> <other@x>")); got != root {
		t.Fatalf("reply with References to two threads: %v, want the root's %v", got, root)
	}
	// A reply whose parent is not here starts a thread; the parent
	// arriving later joins it, and so does a sibling.
	orphan := thread(a.ID, "", threadMsg("<o1@x>", "<late@x>", ""))
	if orphan == root || orphan == other {
		t.Fatalf("reply to an unknown message joined thread %v", orphan)
	}
	if got := thread(a.ID, "", threadMsg("<late@x>", "", "")); got != orphan {
		t.Fatalf("parent after its reply: thread %v, want the reply's %v", got, orphan)
	}
	if got := thread(a.ID, "", threadMsg("<o2@x>", "<late@x>", "")); got != orphan {
		t.Fatalf("sibling: thread %v, want %v", got, orphan)
	}
	// No Message-ID at all, or a malformed one: a thread of its own.
	bare := thread(a.ID, "", []byte("Subject: no id\r\n\r\nbody\r\n"))
	junk := thread(a.ID, "", threadMsg("not-an-id", "garbage", ""))
	if bare == junk || bare == root || junk == root || junk == orphan {
		t.Fatalf("messages without IDs joined threads: %v, %v", bare, junk)
	}

	// Another account does not see alice's threads.
	bob := e.account("bob")
	bobReply := thread(bob.ID, "", threadMsg("<b1@x>", "<root@x>", ""))
	if got := thread(bob.ID, "", threadMsg("<b2@x>", "<root@x>", "")); got != bobReply {
		t.Fatalf("bob's second reply: thread %v, want his first's %v", got, bobReply)
	}
	if got := thread(a.ID, "", threadMsg("<a5@x>", "<b1@x>", "")); got == bobReply {
		t.Fatalf("alice's reply to bob's message (not in her account) joined his thread")
	}

	// A batch: the second message replies to the first.
	inbox := e.mailbox(a.ID, "INBOX")
	app, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, []store.AppendMessage{
		{Body: bytes.NewReader(threadMsg("<batch1@x>", "", ""))},
		{Body: bytes.NewReader(threadMsg("<batch2@x>", "<batch1@x>", ""))},
		{Body: bytes.NewReader(threadMsg("<batch3@x>", "<root@x>", ""))},
	})
	if err != nil {
		t.Fatal(err)
	}
	b1, b2, b3 := e.record(inbox.ID, app.UIDs[0]), e.record(inbox.ID, app.UIDs[1]), e.record(inbox.ID, app.UIDs[2])
	if b1.ThreadID != b2.ThreadID || b1.ThreadID == root || b3.ThreadID != root {
		t.Fatalf("batch threads %v %v %v, want a new one twice, then %v", b1.ThreadID, b2.ThreadID, b3.ThreadID, root)
	}

	e.reopen()
	if got := thread(a.ID, "", threadMsg("<after@x>", "", "<root@x> <r2@x>")); got != root {
		t.Fatalf("reply after restart: thread %v, want %v", got, root)
	}
	// Long References: the root and the last ones count.
	var refs []string
	for i := 0; i < 200; i++ {
		refs = append(refs, fmt.Sprintf("<long%d@x>", i))
	}
	longRoot := thread(a.ID, "", threadMsg("<long0@x>", "", ""))
	if got := thread(a.ID, "", threadMsg("<long-reply@x>", "", strings.Join(refs, " "))); got != longRoot {
		t.Fatalf("200 References: thread %v, want the root's %v", got, longRoot)
	}
	if got := thread(a.ID, "", threadMsg("<long-next@x>", "<long199@x>", "")); got != longRoot {
		t.Fatalf("reply to the last of 200 References: thread %v, want %v", got, longRoot)
	}
}
