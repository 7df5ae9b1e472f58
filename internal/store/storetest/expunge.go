package storetest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// testExpungeMany expunges hundreds of messages in one call, as a POP3
// QUIT does, some of them sharing bodies with messages that stay: the
// survivors keep their bodies, counters and quota follow, and every UID is
// in the expunge log.
func testExpungeMany(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	inbox := e.mailbox(a.ID, "INBOX")
	const n = 300
	bodies := make(map[store.UID][]byte)
	var uids []store.UID
	for i := range n {
		body := msg("many", 200+i)
		if i%50 == 0 {
			body = msg("large", 300<<10) // a file blob in the SQLite backend
		}
		d := e.deliver(a.ID, "", body)
		uids = append(uids, d.UID)
		bodies[d.UID] = body
	}
	// Copies in the same mailbox share the blobs of the first ten.
	cp, err := e.s.Copy(e.ctx, inbox.ID, uids[:10], inbox.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range cp.Dst {
		bodies[u] = bodies[cp.Src[i]]
	}
	var unshared []store.BlobID // bodies of messages 10 .. n-11: no copy
	for _, m := range e.messages(inbox.ID) {
		if m.UID > uids[9] && m.UID < uids[n-10] {
			unshared = append(unshared, m.Blob)
		}
	}
	before := e.mailbox(a.ID, "INBOX").HighestModSeq
	// Expunge every message but the copies and the last ten (and a UID
	// that does not exist).
	drop := append(slices.Clone(uids[:n-10]), 99999)
	gone, err := e.s.Expunge(e.ctx, inbox.ID, drop)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gone, uids[:n-10]) {
		t.Fatalf("Expunge removed %d UIDs (first %v), want %d", len(gone), gone[:min(3, len(gone))], n-10)
	}
	logged, err := e.s.ExpungedSince(e.ctx, inbox.ID, before)
	if err != nil || !slices.Equal(logged, gone) {
		t.Fatalf("ExpungedSince: %d UIDs, %v", len(logged), err)
	}
	left := e.messages(inbox.ID)
	if len(left) != 20 {
		t.Fatalf("%d messages left, want 20", len(left))
	}
	var size int64
	for _, m := range left {
		if got := e.readBlob(m.Blob); !bytes.Equal(got, bodies[m.UID]) {
			t.Fatalf("UID %d: body differs after the expunge", m.UID)
		}
		size += m.Size
	}
	mb := e.mailbox(a.ID, "INBOX")
	q, _ := e.s.Quota(e.ctx, a.ID)
	if mb.Messages != 20 || mb.Size != size || q.UsedMessages != 20 || q.UsedBytes != size || mb.HighestModSeq != before+1 {
		t.Fatalf("after the expunge: mailbox %+v, quota %+v, want 20 messages of %d bytes", mb, q, size)
	}
	// The bodies no message references are gone.
	if len(unshared) != n-20 {
		t.Fatalf("%d unshared bodies, want %d", len(unshared), n-20)
	}
	for _, id := range unshared {
		_, err := e.s.OpenBlob(e.ctx, id)
		wantKind(t, "body of an expunged message", err, store.KindNotFound)
	}
}
