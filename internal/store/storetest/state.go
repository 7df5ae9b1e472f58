package storetest

import (
	"bytes"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// testAccountState checks the account change state: every call that
// changes an account's mail raises it by exactly one (whatever the number
// of messages, mailboxes or events), a call that changes nothing leaves
// it, the call's events carry the new value, other accounts keep theirs,
// and it survives a restart and keeps rising after it.
func testAccountState(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	other := e.account("bob")
	sub := e.s.Subscribe(a.ID)
	defer sub.Close()
	state := func(acct store.AccountID) store.State {
		t.Helper()
		st, err := e.s.AccountState(e.ctx, acct)
		if err != nil {
			t.Fatalf("AccountState: %v", err)
		}
		return st
	}
	drain := func() []store.Change {
		select {
		case <-sub.C():
		default:
		}
		ev, _ := sub.Events()
		return ev
	}
	drain()
	otherBefore := state(other.ID)
	inbox := e.mailbox(a.ID, "INBOX")
	trash := e.mailbox(a.ID, "Trash")
	var uids []store.UID
	// step runs one call and checks the state rose by want (0 or 1), with
	// every event of the call carrying the new value.
	step := func(what string, want store.State, call func() error) {
		t.Helper()
		before := state(a.ID)
		if err := call(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		after := state(a.ID)
		if after != before+want {
			t.Fatalf("%s: state %d -> %d, want +%d", what, before, after, want)
		}
		if want == 0 {
			return
		}
		ev := waitEvent(t, sub)
		for _, ch := range ev {
			if ch.State != after {
				t.Fatalf("%s: event %+v carries state %d, want %d", what, ch, ch.State, after)
			}
		}
	}
	step("deliver", 1, func() error { uids = append(uids, e.deliver(a.ID, "", msg("s1", 100)).UID); return nil })
	step("deliver to two mailboxes", 1, func() error {
		res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(msg("s2", 100))},
			[]store.Target{{Account: a.ID}, {Account: a.ID, MailboxName: "Archive"}})
		if err == nil {
			uids = append(uids, res[0].UID)
		}
		return err
	})
	step("append batch", 1, func() error {
		app, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, []store.AppendMessage{
			{Body: bytes.NewReader(msg("s3", 100))}, {Body: bytes.NewReader(msg("s4", 100))}, {Body: bytes.NewReader(msg("s5", 100))}})
		uids = append(uids, app.UIDs...)
		return err
	})
	seen := store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}
	step("store flags", 1, func() error { _, err := e.s.StoreFlags(e.ctx, inbox.ID, uids, seen); return err })
	step("store flags changing nothing", 0, func() error { _, err := e.s.StoreFlags(e.ctx, inbox.ID, uids, seen); return err })
	step("copy", 1, func() error { _, err := e.s.Copy(e.ctx, inbox.ID, uids[:2], trash.ID, store.FlagDrop{}); return err })
	step("move", 1, func() error { _, err := e.s.Move(e.ctx, inbox.ID, uids[2:4], trash.ID, store.FlagDrop{}); return err })
	step("expunge", 1, func() error { _, err := e.s.Expunge(e.ctx, inbox.ID, uids[:2]); return err })
	step("expunge of nothing", 0, func() error { _, err := e.s.Expunge(e.ctx, inbox.ID, uids[:2]); return err })
	step("create mailbox with a parent", 1, func() error { _, err := e.s.CreateMailbox(e.ctx, a.ID, "P/C", store.UseNone); return err })
	step("rename mailbox tree", 1, func() error { return e.s.RenameMailbox(e.ctx, a.ID, "P", "Q/P") })
	step("rename INBOX", 1, func() error { return e.s.RenameMailbox(e.ctx, a.ID, "INBOX", "Old") })
	step("subscribe", 1, func() error { return e.s.SetSubscribed(e.ctx, a.ID, "Q/P/C", true) })
	step("delete mailbox", 1, func() error { return e.s.DeleteMailbox(e.ctx, a.ID, "Q/P/C") })

	// Failed calls change nothing.
	step("copy to a missing mailbox", 0, func() error {
		if _, err := e.s.Copy(e.ctx, trash.ID, uids[:1], 987654, store.FlagDrop{}); err == nil {
			t.Fatal("copy to a missing mailbox succeeded")
		}
		return nil
	})
	step("atomic delivery with a failing target", 0, func() error {
		res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(msg("s6", 100)), Atomic: true},
			[]store.Target{{Account: a.ID}, {Account: a.ID, MailboxName: "Missing"}})
		if err == nil && res[0].Err == nil {
			t.Fatal("atomic delivery with a missing mailbox stored the message")
		}
		return nil
	})
	if got := state(other.ID); got != otherBefore {
		t.Fatalf("bob's state moved %d -> %d with alice's mail", otherBefore, got)
	}

	last := state(a.ID)
	e.reopen()
	if got := state(a.ID); got != last {
		t.Fatalf("state after restart %d, want %d", got, last)
	}
	e.deliver(a.ID, "", msg("s7", 100))
	if got := state(a.ID); got != last+1 {
		t.Fatalf("state after restart and a delivery %d, want %d", got, last+1)
	}
	_, err := e.s.AccountState(e.ctx, 987654)
	wantKind(t, "AccountState of a missing account", err, store.KindNotFound)
}
