package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// reply builds a message that answers the message whose Message-ID is
// parent.
func reply(subject, parent string) []byte {
	return fmt.Appendf(nil, "From: Carol <carol@example.com>\r\nTo: bob@example.org\r\nSubject: Re: %s\r\n"+
		"Message-ID: <%s@example.com>\r\nIn-Reply-To: <%s@example.com>\r\nReferences: <%s@example.com>\r\n"+
		"Date: Mon, 2 Nov 2026 11:00:00 +0100\r\n\r\nAgreed.\r\n", subject, subject, parent, parent)
}

// onlyEvent drains a subscription and checks it got exactly one event of
// kind in mailbox with uids.
func onlyEvent(t *testing.T, what string, sub *store.Subscription, kind store.ChangeKind, mb store.MailboxID, uids []store.UID) {
	t.Helper()
	ev := waitEvent(t, sub)
	if len(ev) != 1 || ev[0].Kind != kind || ev[0].Mailbox != mb || !slices.Equal(ev[0].UIDs, uids) {
		t.Fatalf("%s: events %+v, want one %v of %v in mailbox %d", what, ev, kind, uids, mb)
	}
}

// sharedWithAlice makes accounts alice and bob, and bob's mailbox
// "Shared", the destination of alice's copies.
func (e *env) sharedWithAlice() (alice, bob store.Account, shared store.Mailbox) {
	e.t.Helper()
	alice, bob = e.account("alice"), e.account("bob")
	shared, err := e.s.CreateMailbox(e.ctx, bob.ID, "Shared", store.UseNone)
	if err != nil {
		e.t.Fatal(err)
	}
	return alice, bob, shared
}

// testCrossAccountCopy checks COPY and MOVE into another account's
// mailbox (a mailbox shared with the source's owner): the destination
// account's quota is charged (over it, nothing is copied), the copies
// are threaded in the destination account, share the blob and keep the
// EmailID, MOVE removes the source, and the feeds and change states of
// both accounts say what changed in each.
func testCrossAccountCopy(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	a, bob, shared := e.sharedWithAlice()
	root := e.deliver(bob.ID, "Shared", msg("root", 10))
	rootMsg := e.record(shared.ID, root.UID)
	inbox := e.mailbox(a.ID, store.InboxName)
	lone, answer := msg("lone", 100), reply("answer", "root")
	d1, d2 := e.deliver(a.ID, "", lone), e.deliver(a.ID, "", answer)
	src1, src2 := e.record(inbox.ID, d1.UID), e.record(inbox.ID, d2.UID)
	if src2.ThreadID == rootMsg.ThreadID {
		t.Fatal("alice's reply is in bob's thread before any copy")
	}
	aq0, _ := s.Quota(ctx, a.ID)
	bq0, _ := s.Quota(ctx, bob.ID)
	as0, _ := s.AccountState(ctx, a.ID)
	bs0, _ := s.AccountState(ctx, bob.ID)
	asub, bsub := s.Subscribe(a.ID), s.Subscribe(bob.ID)
	defer asub.Close()
	defer bsub.Close()

	// Over bob's quota: nothing copied or moved, nobody charged.
	if err := s.SetQuota(ctx, bob.ID, bq0.UsedBytes+int64(len(lone)), 0); err != nil {
		t.Fatal(err)
	}
	_, err := s.Copy(ctx, inbox.ID, []store.UID{d1.UID, d2.UID}, shared.ID, store.FlagDrop{})
	wantKind(t, "copy over the destination's quota", err, store.KindOverQuota)
	_, err = s.Move(ctx, inbox.ID, []store.UID{d1.UID, d2.UID}, shared.ID, store.FlagDrop{})
	wantKind(t, "move over the destination's quota", err, store.KindOverQuota)
	if n := len(e.messages(shared.ID)); n != 1 {
		t.Fatalf("over quota, bob's Shared has %d messages, want 1", n)
	}
	if n := len(e.messages(inbox.ID)); n != 2 {
		t.Fatalf("over quota, alice's INBOX has %d messages, want 2", n)
	}
	if q, _ := s.Quota(ctx, bob.ID); q.UsedBytes != bq0.UsedBytes || q.UsedMessages != bq0.UsedMessages {
		t.Fatalf("bob's usage after the refusals = %+v, want %+v", q, bq0)
	}
	if err := s.SetQuota(ctx, bob.ID, 0, 0); err != nil {
		t.Fatal(err)
	}

	// COPY: bob's mailbox, quota, thread, state and feed; alice's none.
	res, err := s.Copy(ctx, inbox.ID, []store.UID{d2.UID, d1.UID}, shared.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	if res.UIDValidity != shared.UIDValidity || !slices.Equal(res.Src, []store.UID{d1.UID, d2.UID}) ||
		!slices.Equal(res.Dst, []store.UID{2, 3}) {
		t.Fatalf("COPYUID = %+v", res)
	}
	c1, c2 := e.record(shared.ID, 2), e.record(shared.ID, 3)
	if c1.Blob != src1.Blob || c2.Blob != src2.Blob || c1.EmailID != src1.EmailID || c2.EmailID != src2.EmailID {
		t.Fatalf("copies %+v %+v do not share the blobs and email IDs of %+v %+v", c1, c2, src1, src2)
	}
	if c2.ThreadID != rootMsg.ThreadID {
		t.Fatalf("the reply's copy is in thread %v, want bob's thread of its parent %v", c2.ThreadID, rootMsg.ThreadID)
	}
	if c1.ThreadID == rootMsg.ThreadID || c1.ThreadID != store.ThreadID(c1.EmailID) {
		t.Fatalf("the lone copy is in thread %v, want a thread of its own", c1.ThreadID)
	}
	if src2 = e.record(inbox.ID, d2.UID); src2.ThreadID == rootMsg.ThreadID {
		t.Fatal("the copy rethreaded the source in alice's account")
	}
	size := int64(len(lone) + len(answer))
	if q, _ := s.Quota(ctx, bob.ID); q.UsedBytes != bq0.UsedBytes+size || q.UsedMessages != bq0.UsedMessages+2 {
		t.Fatalf("bob's usage after the copy = %+v, want %d more bytes, 2 more messages than %+v", q, size, bq0)
	}
	if q, _ := s.Quota(ctx, a.ID); q != aq0 {
		t.Fatalf("alice's quota after the copy = %+v, want %+v", q, aq0)
	}
	onlyEvent(t, "bob after the copy", bsub, store.ChangeAdded, shared.ID, []store.UID{2, 3})
	if st, _ := s.AccountState(ctx, bob.ID); st != bs0+1 {
		t.Fatalf("bob's state after the copy = %d, want %d", st, bs0+1)
	}
	if st, _ := s.AccountState(ctx, a.ID); st != as0 {
		t.Fatalf("alice's state after the copy = %d, want %d (nothing of hers changed)", st, as0)
	}

	// MOVE: alice's message leaves (expunge logged, quota freed), bob's
	// arrives; both feeds and states.
	mv, err := s.Move(ctx, inbox.ID, []store.UID{d1.UID}, shared.ID, store.FlagDrop{})
	if err != nil || !slices.Equal(mv.Dst, []store.UID{4}) {
		t.Fatalf("Move = %+v, %v", mv, err)
	}
	if left := e.messages(inbox.ID); len(left) != 1 || left[0].UID != d2.UID {
		t.Fatalf("alice's INBOX after the move = %+v", left)
	}
	if gone, _ := s.ExpungedSince(ctx, inbox.ID, 0); !slices.Equal(gone, []store.UID{d1.UID}) {
		t.Fatalf("the move did not log the expunge: %v", gone)
	}
	onlyEvent(t, "alice after the move", asub, store.ChangeExpunged, inbox.ID, []store.UID{d1.UID})
	onlyEvent(t, "bob after the move", bsub, store.ChangeAdded, shared.ID, []store.UID{4})
	if st, _ := s.AccountState(ctx, a.ID); st != as0+1 {
		t.Fatalf("alice's state after the move = %d, want %d", st, as0+1)
	}
	if st, _ := s.AccountState(ctx, bob.ID); st != bs0+2 {
		t.Fatalf("bob's state after the move = %d, want %d", st, bs0+2)
	}
	if q, _ := s.Quota(ctx, a.ID); q.UsedBytes != aq0.UsedBytes-int64(len(lone)) || q.UsedMessages != aq0.UsedMessages-1 {
		t.Fatalf("alice's usage after the move = %+v, want %d bytes and 1 message less than %+v", q, len(lone), aq0)
	}
	if q, _ := s.Quota(ctx, bob.ID); q.UsedBytes != bq0.UsedBytes+size+int64(len(lone)) || q.UsedMessages != bq0.UsedMessages+3 {
		t.Fatalf("bob's usage after the move = %+v", q)
	}
	if m := e.record(shared.ID, 4); m.EmailID != src1.EmailID || m.ThreadID != c1.ThreadID {
		t.Fatalf("the moved message %+v: want email ID %v, thread %v", m, src1.EmailID, c1.ThreadID)
	}

	// The blob is shared: alice's last copy going keeps bob's readable.
	if _, err := s.Expunge(ctx, inbox.ID, []store.UID{d2.UID}); err != nil {
		t.Fatal(err)
	}
	if got := e.readBlob(c2.Blob); !bytes.Equal(got, answer) {
		t.Fatal("bob's copy lost its body when alice's went")
	}
	if err := s.DeleteAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.readBlob(c1.Blob); !bytes.Equal(got, lone) {
		t.Fatal("bob's copy lost its body with alice's account")
	}
}

// testCrossAccountCopyBothWays copies between two accounts in both
// directions at once: neither call may fail (no deadlock between the
// two accounts' locks), and every copy arrives.
func testCrossAccountCopyBothWays(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a, bob := e.account("alice"), e.account("bob")
	ai, bi := e.mailbox(a.ID, store.InboxName), e.mailbox(bob.ID, store.InboxName)
	da, db := e.deliver(a.ID, "", msg("from-alice", 10)), e.deliver(bob.ID, "", msg("from-bob", 10))
	const rounds = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for range rounds {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := e.s.Copy(e.ctx, ai.ID, []store.UID{da.UID}, bi.ID, store.FlagDrop{})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := e.s.Copy(e.ctx, bi.ID, []store.UID{db.UID}, ai.ID, store.FlagDrop{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent copies both ways: %v", err)
		}
	}
	if na, nb := len(e.messages(ai.ID)), len(e.messages(bi.ID)); na != 1+rounds || nb != 1+rounds {
		t.Fatalf("after the copies: alice %d, bob %d messages, want %d each", na, nb, 1+rounds)
	}
}

// testCopyFlagDrop copies and moves with a FlagDrop (the flags a grantee
// may not set in a shared mailbox): the copies lack them from the first
// moment, in the one transaction of the copy (one new MODSEQ, one
// event), the destination's unseen count follows, and the sources keep
// theirs.
func testCopyFlagDrop(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	a, bob, shared := e.sharedWithAlice()
	inbox := e.mailbox(a.ID, store.InboxName)
	d1, d2 := e.deliver(a.ID, "", msg("one", 10)), e.deliver(a.ID, "", msg("two", 10))
	all := []store.UID{d1.UID, d2.UID}
	if _, err := s.StoreFlags(ctx, inbox.ID, all, store.FlagChange{Op: store.FlagsAdd,
		Flags: store.FlagSeen | store.FlagFlagged | store.FlagDeleted, Keywords: []string{"$Label1"}}); err != nil {
		t.Fatal(err)
	}
	bsub := s.Subscribe(bob.ID)
	defer bsub.Close()
	before := e.mailbox(bob.ID, "Shared")

	drop := store.FlagDrop{Flags: store.FlagSeen | store.FlagDeleted, Keywords: true}
	res, err := s.Copy(ctx, inbox.ID, all, shared.ID, drop)
	if err != nil {
		t.Fatal(err)
	}
	onlyEvent(t, "bob after the copy", bsub, store.ChangeAdded, shared.ID, res.Dst)
	after := e.mailbox(bob.ID, "Shared")
	if after.HighestModSeq != before.HighestModSeq+1 || after.Unseen != before.Unseen+2 {
		t.Fatalf("Shared after the copy: HIGHESTMODSEQ %d -> %d (want +1), unseen %d -> %d (want +2)",
			before.HighestModSeq, after.HighestModSeq, before.Unseen, after.Unseen)
	}
	for _, u := range res.Dst {
		if m := e.record(shared.ID, u); m.Flags != store.FlagFlagged || len(m.Keywords) != 0 {
			t.Fatalf("copy %d has flags %v, keywords %v; want only \\Flagged", u, m.Flags, m.Keywords)
		}
	}
	for _, u := range all {
		if m := e.record(inbox.ID, u); m.Flags != store.FlagSeen|store.FlagFlagged|store.FlagDeleted || len(m.Keywords) != 1 {
			t.Fatalf("source %d lost its flags: %v, %v", u, m.Flags, m.Keywords)
		}
	}

	mv, err := s.Move(ctx, inbox.ID, all[:1], shared.ID, store.FlagDrop{Flags: store.FlagFlagged})
	if err != nil || len(mv.Dst) != 1 {
		t.Fatalf("Move = %+v, %v", mv, err)
	}
	if m := e.record(shared.ID, mv.Dst[0]); m.Flags != store.FlagSeen|store.FlagDeleted || len(m.Keywords) != 1 {
		t.Fatalf("moved message has flags %v, keywords %v; want \\Seen \\Deleted $Label1", m.Flags, m.Keywords)
	}
	if got := e.mailbox(bob.ID, "Shared"); got.Unseen != after.Unseen {
		t.Fatalf("unseen after moving a seen message = %d, want %d", got.Unseen, after.Unseen)
	}
}
