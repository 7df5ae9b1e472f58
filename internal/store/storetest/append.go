package storetest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testAppendBatch: a batch gets consecutive UIDs in order, each message
// its flags, keywords, date and body, one MODSEQ and one change event.
// Atomicity across a crash follows from the batch being one transaction:
// TestCrash checks that a committed transaction survives SIGKILL and an
// uncommitted one leaves nothing.
func testAppendBatch(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	e.deliver(a.ID, "Archive", msg("first", 10))
	before := e.mailbox(a.ID, "Archive")
	sub := e.s.Subscribe(a.ID)
	defer sub.Close()
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("", -7*3600))
	bodies := [][]byte{msg("b1", 100), msg("b2", 300<<10), msg("b3", 50)}
	in := []store.AppendMessage{
		{Body: bytes.NewReader(bodies[0]), Flags: store.FlagSeen | store.FlagDraft, Keywords: []string{"Work", "$Label1"}, InternalDate: date},
		{Body: bytes.NewReader(bodies[1])},
		{Body: bytes.NewReader(bodies[2]), Flags: store.FlagFlagged, InternalDate: date.Add(time.Hour)},
	}
	res, err := e.s.AppendBatch(e.ctx, a.ID, before.ID, in)
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	want := []store.UID{before.UIDNext, before.UIDNext + 1, before.UIDNext + 2}
	if !slices.Equal(res.UIDs, want) || res.UIDValidity != before.UIDValidity || res.Mailbox != before.ID {
		t.Fatalf("Appended = %+v, want UIDs %v, UIDVALIDITY %d", res, want, before.UIDValidity)
	}
	after := e.mailbox(a.ID, "Archive")
	if after.HighestModSeq != before.HighestModSeq+1 || res.ModSeq != after.HighestModSeq {
		t.Fatalf("HIGHESTMODSEQ %d -> %d, batch MODSEQ %d: want one new MODSEQ", before.HighestModSeq, after.HighestModSeq, res.ModSeq)
	}
	var size int64
	for _, b := range bodies {
		size += int64(len(b))
	}
	if after.Messages != 4 || after.Unseen != 3 || after.Size != before.Size+size || after.UIDNext != want[2]+1 {
		t.Fatalf("counters after batch: %+v", after)
	}
	ms := e.messages(after.ID)[1:]
	if len(ms) != 3 {
		t.Fatalf("%d messages after batch, want 3", len(ms))
	}
	for i, m := range ms {
		if m.UID != want[i] || m.ModSeq != res.ModSeq || m.Flags != in[i].Flags || m.Size != int64(len(bodies[i])) {
			t.Errorf("message %d = %+v", i, m)
		}
		if !bytes.Equal(e.readBlob(m.Blob), bodies[i]) {
			t.Errorf("message %d: body differs", i)
		}
	}
	if !slices.Equal(ms[0].Keywords, []string{"$Label1", "Work"}) || len(ms[1].Keywords) != 0 {
		t.Errorf("keywords = %v, %v", ms[0].Keywords, ms[1].Keywords)
	}
	if !ms[0].InternalDate.Equal(date) || !ms[2].InternalDate.Equal(date.Add(time.Hour)) {
		t.Errorf("internal dates = %v, %v", ms[0].InternalDate, ms[2].InternalDate)
	}
	if _, off := ms[0].InternalDate.Zone(); off != -7*3600 {
		t.Errorf("internal date zone offset = %d", off)
	}
	if d := time.Since(ms[1].InternalDate); d < -time.Minute || d > time.Minute {
		t.Errorf("default internal date = %v, want about now", ms[1].InternalDate)
	}
	ev := waitEvent(t, sub)
	if len(ev) != 1 || ev[0].Kind != store.ChangeAdded || ev[0].Mailbox != after.ID || !slices.Equal(ev[0].UIDs, want) || ev[0].ModSeq != res.ModSeq {
		t.Fatalf("batch events = %+v, want one ChangeAdded of %v", ev, want)
	}
	changed, err := e.s.ChangedSince(e.ctx, after.ID, before.HighestModSeq)
	if err != nil || len(changed) != 3 {
		t.Fatalf("ChangedSince(before) = %d messages, %v; want the batch", len(changed), err)
	}
	e.reopen()
	if got := e.mailbox(a.ID, "Archive"); got.Messages != 4 || got.HighestModSeq != res.ModSeq {
		t.Fatalf("after restart: %+v", got)
	}
	q, _ := e.s.Quota(e.ctx, a.ID)
	if q.UsedMessages != 4 || q.UsedBytes != after.Size {
		t.Fatalf("quota usage = %+v, want 4 messages, %d bytes", q, after.Size)
	}
	_, err = e.s.AppendBatch(e.ctx, a.ID, after.ID, nil)
	wantKind(t, "empty batch", err, store.KindInvalid)
}

// snapshot is what a failed batch must leave unchanged.
type snapshot struct {
	mb store.Mailbox
	q  store.Quota
	n  int
}

func (e *env) snapshot(acct store.AccountID, name string) snapshot {
	e.t.Helper()
	mb := e.mailbox(acct, name)
	q, err := e.s.Quota(e.ctx, acct)
	if err != nil {
		e.t.Fatal(err)
	}
	return snapshot{mb: mb, q: q, n: len(e.messages(mb.ID))}
}

// testAppendBatchAllOrNothing: a batch over quota, with a body that fails
// mid-read, into a missing mailbox or another account's mailbox stores
// nothing, changes no counter and publishes nothing.
func testAppendBatchAllOrNothing(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, other := e.account("alice"), e.account("bob")
	e.deliver(a.ID, "", msg("old", 10))
	one := msg("q", 1000)
	size := int64(len(one))
	// Room for two more messages (bytes), and ten by count.
	if err := e.s.SetQuota(e.ctx, a.ID, 3*size, 10); err != nil {
		t.Fatal(err)
	}
	inbox := e.mailbox(a.ID, "INBOX")
	want := e.snapshot(a.ID, "INBOX")
	sub := e.s.Subscribe(a.ID)
	defer sub.Close()
	batch := func(n int, mid io.Reader) []store.AppendMessage {
		ms := make([]store.AppendMessage, n)
		for i := range ms {
			ms[i].Body = bytes.NewReader(one)
		}
		if mid != nil {
			ms[n/2].Body = mid
		}
		return ms
	}
	check := func(what string, err error, k store.Kind) {
		t.Helper()
		wantKind(t, what, err, k)
		if got := e.snapshot(a.ID, "INBOX"); got != want {
			t.Fatalf("%s: left %+v, want %+v", what, got, want)
		}
	}
	_, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, batch(3, nil))
	check("batch over the byte quota", err, store.KindOverQuota)
	if err := e.s.SetQuota(e.ctx, a.ID, 0, 3); err != nil {
		t.Fatal(err)
	}
	want.q.MaxBytes, want.q.MaxMessages = 0, 3
	_, err = e.s.AppendBatch(e.ctx, a.ID, inbox.ID, batch(3, nil))
	check("batch over the message quota", err, store.KindOverQuota)
	bad := io.MultiReader(bytes.NewReader(one[:500]), &failReader{})
	_, err = e.s.AppendBatch(e.ctx, a.ID, inbox.ID, batch(2, bad))
	if err == nil {
		t.Fatal("batch with an unreadable body succeeded")
	}
	check("batch with an unreadable body", err, store.KindOf(err))
	_, err = e.s.AppendBatch(e.ctx, a.ID, 987654, batch(2, nil))
	check("batch into a missing mailbox", err, store.KindNotFound)
	_, err = e.s.AppendBatch(e.ctx, a.ID, e.mailbox(other.ID, "INBOX").ID, batch(1, nil))
	check("batch into another account's mailbox", err, store.KindNotFound)
	if n := len(e.messages(e.mailbox(other.ID, "INBOX").ID)); n != 0 {
		t.Fatalf("other account got %d messages", n)
	}
	select {
	case <-sub.C():
		ev, _ := sub.Events()
		t.Fatalf("failed batches published %+v", ev)
	default:
	}
	// The batch that fits still goes in whole, after the failures.
	res, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, batch(2, nil))
	if err != nil || !slices.Equal(res.UIDs, []store.UID{inbox.UIDNext, inbox.UIDNext + 1}) {
		t.Fatalf("batch that fits = %+v, %v; want UIDs from %d (failed batches consume none)", res, err, inbox.UIDNext)
	}
}

var errBodyRead = errors.New("connection lost")

// failReader fails every read, like a client that went away mid-literal.
type failReader struct{}

func (*failReader) Read([]byte) (int, error) { return 0, errBodyRead }
