package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func testUIDsAcrossRestarts(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	var last store.UID
	for i := 0; i < 3; i++ {
		d := e.deliver(a.ID, "", msg("m", 100))
		if d.UID <= last {
			t.Fatalf("UID %d not above %d", d.UID, last)
		}
		last = d.UID
	}
	inbox := e.mailbox(a.ID, "INBOX")
	if _, err := e.s.Expunge(e.ctx, inbox.ID, []store.UID{last}); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	after := e.mailbox(a.ID, "INBOX")
	if after.UIDValidity != inbox.UIDValidity || after.UIDNext != last+1 {
		t.Fatalf("after restart: UIDVALIDITY %d (was %d), UIDNEXT %d (want %d)", after.UIDValidity, inbox.UIDValidity, after.UIDNext, last+1)
	}
	d := e.deliver(a.ID, "", msg("n", 100))
	if d.UID != last+1 {
		t.Fatalf("UID after restart = %d, want %d (expunged UIDs are never reused)", d.UID, last+1)
	}
	if d.UIDValidity != inbox.UIDValidity {
		t.Fatalf("Delivered.UIDValidity = %d, want %d", d.UIDValidity, inbox.UIDValidity)
	}
}

func testModSeq(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	mb := e.mailbox(a.ID, "INBOX")
	prev := mb.HighestModSeq
	step := func(what string) store.Mailbox {
		t.Helper()
		cur := e.mailbox(a.ID, "INBOX")
		if cur.HighestModSeq <= prev {
			t.Fatalf("%s: HIGHESTMODSEQ %d not above %d", what, cur.HighestModSeq, prev)
		}
		prev = cur.HighestModSeq
		return cur
	}
	d1 := e.deliver(a.ID, "", msg("a", 10))
	step("deliver")
	if d1.ModSeq != prev {
		t.Fatalf("Delivered.ModSeq = %d, want %d", d1.ModSeq, prev)
	}
	d2 := e.deliver(a.ID, "", msg("b", 10))
	step("deliver 2")
	res, err := e.s.StoreFlags(e.ctx, mb.ID, []store.UID{d1.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
	if err != nil || len(res.Updated) != 1 {
		t.Fatalf("StoreFlags = %+v, %v", res, err)
	}
	step("flags")
	if res.Updated[0].ModSeq != prev {
		t.Fatalf("message MODSEQ %d, want mailbox HIGHESTMODSEQ %d", res.Updated[0].ModSeq, prev)
	}
	// A STORE that changes nothing does not bump MODSEQ.
	res, _ = e.s.StoreFlags(e.ctx, mb.ID, []store.UID{d1.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
	if len(res.Updated) != 0 || e.mailbox(a.ID, "INBOX").HighestModSeq != prev {
		t.Fatalf("no-op STORE changed MODSEQ")
	}
	changed, err := e.s.ChangedSince(e.ctx, mb.ID, d2.ModSeq)
	if err != nil || len(changed) != 1 || changed[0].UID != d1.UID {
		t.Fatalf("ChangedSince = %+v, %v", changed, err)
	}
	if _, err := e.s.Copy(e.ctx, mb.ID, []store.UID{d1.UID}, e.mailbox(a.ID, "Archive").ID, store.FlagDrop{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Expunge(e.ctx, mb.ID, []store.UID{d2.UID}); err != nil {
		t.Fatal(err)
	}
	step("expunge")
	e.reopen()
	if got := e.mailbox(a.ID, "INBOX").HighestModSeq; got != prev {
		t.Fatalf("HIGHESTMODSEQ after restart = %d, want %d", got, prev)
	}
}

func testFlags(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	mb := e.mailbox(a.ID, "INBOX")
	d := e.deliver(a.ID, "", msg("a", 10))
	if mb := e.mailbox(a.ID, "INBOX"); mb.Unseen != 1 || mb.Messages != 1 {
		t.Fatalf("counts after deliver: %+v", mb)
	}
	change := func(c store.FlagChange) store.Message {
		t.Helper()
		if _, err := e.s.StoreFlags(e.ctx, mb.ID, []store.UID{d.UID}, c); err != nil {
			t.Fatal(err)
		}
		return e.messages(mb.ID)[0]
	}
	m := change(store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen | store.FlagFlagged, Keywords: []string{"$Label1", "Work"}})
	if m.Flags != store.FlagSeen|store.FlagFlagged || !slices.Equal(m.Keywords, []string{"$Label1", "Work"}) {
		t.Fatalf("after +FLAGS: %v %v", m.Flags, m.Keywords)
	}
	if e.mailbox(a.ID, "INBOX").Unseen != 0 {
		t.Fatal("unseen count not updated")
	}
	m = change(store.FlagChange{Op: store.FlagsAdd, Keywords: []string{"work", "$label1"}})
	if len(m.Keywords) != 2 {
		t.Fatalf("keywords are case-insensitive: got %v", m.Keywords)
	}
	m = change(store.FlagChange{Op: store.FlagsRemove, Flags: store.FlagSeen, Keywords: []string{"WORK"}})
	if m.Flags != store.FlagFlagged || !slices.Equal(m.Keywords, []string{"$Label1"}) {
		t.Fatalf("after -FLAGS: %v %v", m.Flags, m.Keywords)
	}
	m = change(store.FlagChange{Op: store.FlagsReplace, Flags: store.FlagAnswered | store.FlagDeleted})
	if m.Flags != store.FlagAnswered|store.FlagDeleted || len(m.Keywords) != 0 {
		t.Fatalf("after FLAGS: %v %v", m.Flags, m.Keywords)
	}
	// RFC 7162 §3.1.3 UNCHANGEDSINCE.
	res, err := e.s.StoreFlags(e.ctx, mb.ID, []store.UID{d.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen, UnchangedSince: m.ModSeq - 1})
	if err != nil || len(res.Updated) != 0 || !slices.Equal(res.Modified, []store.UID{d.UID}) {
		t.Fatalf("UNCHANGEDSINCE failing: %+v, %v", res, err)
	}
	res, err = e.s.StoreFlags(e.ctx, mb.ID, []store.UID{d.UID, 999}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen, UnchangedSince: m.ModSeq})
	if err != nil || len(res.Updated) != 1 || len(res.Modified) != 0 {
		t.Fatalf("UNCHANGEDSINCE passing: %+v, %v", res, err)
	}
	_, err = e.s.StoreFlags(e.ctx, 987654, []store.UID{1}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
	wantKind(t, "flags in missing mailbox", err, store.KindNotFound)
}

func testExpungeLog(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	mb := e.mailbox(a.ID, "INBOX")
	var uids []store.UID
	for i := 0; i < 5; i++ {
		uids = append(uids, e.deliver(a.ID, "", msg("x", 10)).UID)
	}
	mid := e.mailbox(a.ID, "INBOX").HighestModSeq
	gone, err := e.s.Expunge(e.ctx, mb.ID, []store.UID{uids[3], uids[1], 4242})
	if err != nil || !slices.Equal(gone, []store.UID{uids[1], uids[3]}) {
		t.Fatalf("Expunge = %v, %v", gone, err)
	}
	again, err := e.s.Expunge(e.ctx, mb.ID, []store.UID{uids[1]})
	if err != nil || len(again) != 0 {
		t.Fatalf("second Expunge = %v, %v", again, err)
	}
	after := e.mailbox(a.ID, "INBOX").HighestModSeq
	if _, err := e.s.Expunge(e.ctx, mb.ID, []store.UID{uids[0]}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		since store.ModSeq
		want  []store.UID
	}{{0, []store.UID{uids[0], uids[1], uids[3]}}, {mid, []store.UID{uids[0], uids[1], uids[3]}}, {after, []store.UID{uids[0]}}} {
		got, err := e.s.ExpungedSince(e.ctx, mb.ID, c.since)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ExpungedSince(%d) = %v, %v; want %v", c.since, got, err, c.want)
		}
	}
	if n := len(e.messages(mb.ID)); n != 2 {
		t.Fatalf("%d messages left, want 2", n)
	}
	if got := e.mailbox(a.ID, "INBOX"); got.Messages != 2 {
		t.Fatalf("Messages counter = %d, want 2", got.Messages)
	}
}

func testCopyMove(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	inbox, archive := e.mailbox(a.ID, "INBOX"), e.mailbox(a.ID, "Archive")
	body1, body2 := msg("one", 50), msg("two", 60)
	d1, d2 := e.deliver(a.ID, "", body1), e.deliver(a.ID, "", body2)
	if _, err := e.s.StoreFlags(e.ctx, inbox.ID, []store.UID{d2.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagFlagged, Keywords: []string{"k"}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.s.Copy(e.ctx, inbox.ID, []store.UID{d2.UID, d1.UID, 777}, archive.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	if res.UIDValidity != archive.UIDValidity || !slices.Equal(res.Src, []store.UID{d1.UID, d2.UID}) || !slices.Equal(res.Dst, []store.UID{1, 2}) {
		t.Fatalf("COPYUID = %+v", res)
	}
	src, dst := e.messages(inbox.ID), e.messages(archive.ID)
	if len(src) != 2 || len(dst) != 2 {
		t.Fatalf("after copy: %d in INBOX, %d in Archive", len(src), len(dst))
	}
	for i := range dst {
		if dst[i].Blob != src[i].Blob || dst[i].Flags != src[i].Flags || !slices.Equal(dst[i].Keywords, src[i].Keywords) ||
			!dst[i].InternalDate.Equal(src[i].InternalDate) || dst[i].Size != src[i].Size {
			t.Errorf("copy %d differs: %+v vs %+v", i, dst[i], src[i])
		}
	}
	res, err = e.s.Move(e.ctx, inbox.ID, []store.UID{d1.UID}, archive.ID, store.FlagDrop{})
	if err != nil || !slices.Equal(res.Dst, []store.UID{3}) {
		t.Fatalf("Move = %+v, %v", res, err)
	}
	src, dst = e.messages(inbox.ID), e.messages(archive.ID)
	if len(src) != 1 || src[0].UID != d2.UID || len(dst) != 3 {
		t.Fatalf("after move: INBOX %+v, Archive %d", src, len(dst))
	}
	if gone, _ := e.s.ExpungedSince(e.ctx, inbox.ID, 0); !slices.Equal(gone, []store.UID{d1.UID}) {
		t.Fatalf("move did not log the expunge: %v", gone)
	}
	// Expunging one copy keeps the shared blob readable for the others.
	if _, err := e.s.Expunge(e.ctx, archive.ID, []store.UID{1}); err != nil {
		t.Fatal(err)
	}
	if got := e.readBlob(dst[2].Blob); !bytes.Equal(got, body1) {
		t.Fatal("moved message body differs")
	}
	// Copies into another account's mailbox: testCrossAccountCopy.
	// INBOX: two; Archive: two and one moved, one of them expunged.
	q, _ := e.s.Quota(e.ctx, a.ID)
	if q.UsedMessages != 3 || q.UsedBytes != int64(2*len(body2)+len(body1)) {
		t.Fatalf("quota usage = %+v, want 3 messages, %d bytes", q, 2*len(body2)+len(body1))
	}
}

func testQuota(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	body := msg("q", 1000)
	size := int64(len(body))
	if err := e.s.SetQuota(e.ctx, a.ID, 3*size, 10); err != nil {
		t.Fatal(err)
	}
	var last store.Delivered
	for i := 0; i < 3; i++ {
		last = e.deliver(a.ID, "", body)
	}
	res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "over quota", res[0].Err, store.KindOverQuota)
	q, err := e.s.Quota(e.ctx, a.ID)
	if err != nil || q.UsedBytes != 3*size || q.UsedMessages != 3 || q.MaxBytes != 3*size || q.MaxMessages != 10 {
		t.Fatalf("Quota = %+v, %v", q, err)
	}
	inbox := e.mailbox(a.ID, "INBOX")
	_, err = e.s.Copy(e.ctx, inbox.ID, []store.UID{last.UID}, e.mailbox(a.ID, "Archive").ID, store.FlagDrop{})
	wantKind(t, "copy over quota", err, store.KindOverQuota)
	if _, err := e.s.Move(e.ctx, inbox.ID, []store.UID{last.UID}, e.mailbox(a.ID, "Archive").ID, store.FlagDrop{}); err != nil {
		t.Fatalf("move at quota must work: %v", err)
	}
	if _, err := e.s.Expunge(e.ctx, inbox.ID, []store.UID{1}); err != nil {
		t.Fatal(err)
	}
	q, _ = e.s.Quota(e.ctx, a.ID)
	if q.UsedBytes != 2*size || q.UsedMessages != 2 {
		t.Fatalf("usage after expunge = %+v", q)
	}
	if err := e.s.DeleteMailbox(e.ctx, a.ID, "Archive"); err != nil {
		t.Fatal(err)
	}
	q, _ = e.s.Quota(e.ctx, a.ID)
	if q.UsedBytes != size || q.UsedMessages != 1 {
		t.Fatalf("usage after mailbox delete = %+v", q)
	}
	if err := e.s.SetQuota(e.ctx, a.ID, 0, 1); err != nil {
		t.Fatal(err)
	}
	res, _ = e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: a.ID}})
	wantKind(t, "message-count quota", res[0].Err, store.KindOverQuota)
}

func testConcurrentWriters(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, c := e.account("alice"), e.account("carol")
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(msg("c", 200+w))},
					[]store.Target{{Account: a.ID}, {Account: c.ID, MailboxName: "Archive"}})
				if err == nil {
					err = res[0].Err
				}
				if err == nil {
					err = res[1].Err
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, mb := range []store.Mailbox{e.mailbox(a.ID, "INBOX"), e.mailbox(c.ID, "Archive")} {
		ms := e.messages(mb.ID)
		if len(ms) != workers*each || mb.Messages != workers*each || mb.UIDNext != workers*each+1 {
			t.Fatalf("%s: %d messages, counter %d, UIDNEXT %d", mb.Name, len(ms), mb.Messages, mb.UIDNext)
		}
		for i, m := range ms {
			if m.UID != store.UID(i+1) {
				t.Fatalf("%s: UIDs not dense and ascending at %d: %d", mb.Name, i, m.UID)
			}
		}
	}
}

func testChangeFeed(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, other := e.account("alice"), e.account("bob")
	sub := e.s.Subscribe(a.ID)
	defer sub.Close()
	osub := e.s.Subscribe(other.ID)
	defer osub.Close()
	inbox := e.mailbox(a.ID, "INBOX")
	d := e.deliver(a.ID, "", msg("f", 10))
	ev := waitEvent(t, sub)
	if len(ev) != 1 || ev[0].Kind != store.ChangeAdded || ev[0].Mailbox != inbox.ID || !slices.Equal(ev[0].UIDs, []store.UID{d.UID}) || ev[0].ModSeq != d.ModSeq {
		t.Fatalf("deliver event = %+v", ev)
	}
	if _, err := e.s.StoreFlags(e.ctx, inbox.ID, []store.UID{d.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if ev = waitEvent(t, sub); len(ev) != 1 || ev[0].Kind != store.ChangeFlags {
		t.Fatalf("flags event = %+v", ev)
	}
	if _, err := e.s.Expunge(e.ctx, inbox.ID, []store.UID{d.UID}); err != nil {
		t.Fatal(err)
	}
	if ev = waitEvent(t, sub); len(ev) != 1 || ev[0].Kind != store.ChangeExpunged || !slices.Equal(ev[0].UIDs, []store.UID{d.UID}) {
		t.Fatalf("expunge event = %+v", ev)
	}
	if _, err := e.s.CreateMailbox(e.ctx, a.ID, "Projects", ""); err != nil {
		t.Fatal(err)
	}
	if ev = waitEvent(t, sub); len(ev) != 1 || ev[0].Kind != store.ChangeMailboxCreated {
		t.Fatalf("create event = %+v", ev)
	}
	select {
	case <-osub.C():
		t.Fatalf("other account got events: %v", ev)
	default:
	}
	sub.Close()
	e.deliver(a.ID, "", msg("g", 10)) // must not block or panic
}
