package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testImportThreadZero: ImportMessages with ThreadID 0 threads each
// message as a delivery would (store.ImportMessage.ThreadID): a reply
// joins the thread of a delivered parent, of a parent earlier in the same
// batch, or of a parent imported before; an unrelated message gets its
// own thread, numbered like its EmailID; a delivered reply to an
// imported message joins its thread.
func testImportThreadZero(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("th")
	inbox := e.mailbox(a.ID, "INBOX")
	d := e.deliver(a.ID, "", threadMsg("<root@x>", "", ""))
	root := e.record(d.Mailbox, d.UID).ThreadID
	mb, err := e.s.ImportMailbox(e.ctx, a.ID, store.Mailbox{Name: "Old", UIDValidity: 777, UIDNext: 1, HighestModSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := e.s.ReserveEmailIDs(e.ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{
		threadMsg("<r1@x>", "<root@x>", ""),   // parent delivered
		threadMsg("<new@x>", "", ""),          // its own thread
		threadMsg("<r2@x>", "<new@x>", ""),    // parent earlier in the batch
		threadMsg("<r3@x>", "", "<new@x>"),    // the same, by References
		threadMsg("<lone@x>", "<gone@x>", ""), // parent unknown
	}
	batch := func(from, to int) []store.ImportMessage {
		var out []store.ImportMessage
		for i := from; i < to; i++ {
			out = append(out, store.ImportMessage{UID: store.UID(i + 1), ModSeq: 2, InternalDate: time.Unix(1.7e9, 0),
				EmailID: ids[i], Body: bytes.NewReader(bodies[i])})
		}
		return out
	}
	if _, err := e.s.ImportMessages(e.ctx, a.ID, mb.ID, batch(0, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ImportMessages(e.ctx, a.ID, mb.ID, batch(3, 5)); err != nil {
		t.Fatal(err)
	}
	want := []store.ThreadID{root, store.ThreadID(ids[1]), store.ThreadID(ids[1]), store.ThreadID(ids[1]), store.ThreadID(ids[4])}
	for i, w := range want {
		if got := e.record(mb.ID, store.UID(i+1)).ThreadID; got != w {
			t.Fatalf("imported message %d: thread %v, want %v", i+1, got, w)
		}
	}
	r := e.deliver(a.ID, "", threadMsg("<r4@x>", "<lone@x>", ""))
	if got := e.record(inbox.ID, r.UID).ThreadID; got != want[4] {
		t.Fatalf("delivered reply to an imported message: thread %v, want %v", got, want[4])
	}
}
