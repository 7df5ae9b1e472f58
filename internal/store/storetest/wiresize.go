package storetest

import (
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// testWireSizes checks the bulk read POP3 lists a maildrop with: the same
// messages as Messages over the same range, each with the wire size of
// its body (msgmeta.WireSize), expunged messages left out.
func testWireSizes(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	inbox := e.mailbox(a.ID, "INBOX")
	bodies := [][]byte{
		msg("plain", 300),
		[]byte("Subject: dots\n\n.leading dot\n..two\nno final newline"),
		[]byte("Subject: cr\r\n\r\nline\r\n.\r\n"),
		msg("large", 300<<10), // over the SQLite backend's inline limit
	}
	var uids []store.UID
	for _, body := range bodies {
		uids = append(uids, e.deliver(a.ID, "", body).UID)
	}
	check := func(from, to store.UID, want []int) {
		t.Helper()
		got, err := e.s.WireSizes(e.ctx, inbox.ID, from, to)
		if err != nil {
			t.Fatalf("WireSizes(%d, %d): %v", from, to, err)
		}
		msgs, err := e.s.Messages(e.ctx, inbox.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(msgs) != len(want) {
			t.Fatalf("WireSizes(%d, %d): %d messages (Messages: %d), want %d", from, to, len(got), len(msgs), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.UID != uids[w] || g.Blob != msgs[i].Blob || g.Size != int64(len(bodies[w])) || g.Flags != msgs[i].Flags {
				t.Errorf("WireSizes[%d] = %+v, want the record %+v", i, g.Message, msgs[i])
			}
			if ws := msgmeta.WireSize(bodies[w]); g.WireSize != ws {
				t.Errorf("message %d: WireSize %d, want %d", w, g.WireSize, ws)
			}
		}
	}
	check(1, 0, []int{0, 1, 2, 3})
	check(uids[1], uids[2], []int{1, 2})
	if _, err := e.s.Expunge(e.ctx, inbox.ID, []store.UID{uids[1]}); err != nil {
		t.Fatal(err)
	}
	check(1, 0, []int{0, 2, 3})
	check(uids[3]+1, 0, nil)
	if got, err := e.s.WireSizes(e.ctx, 987654, 1, 0); err != nil || len(got) != 0 {
		t.Fatalf("WireSizes of a missing mailbox = %v, %v; want none", got, err)
	}
}
