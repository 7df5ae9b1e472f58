package store

import "testing"

// TestNotify: a subscription's Notify function runs after each change,
// with C already signalled, until it is set to nil.
func TestNotify(t *testing.T) {
	var h Hub
	sub := h.Subscribe(1)
	defer sub.Close()
	calls := 0
	sub.Notify(func() {
		calls++
		select {
		case <-sub.C():
		default:
			t.Error("Notify before C was signalled")
		}
	})
	h.Publish(Change{Account: 1, Mailbox: 2, Kind: ChangeAdded})
	h.Publish(Change{Account: 3, Mailbox: 4, Kind: ChangeAdded}) // another account
	h.Publish(Change{Account: 1, Mailbox: 2, Kind: ChangeFlags})
	if calls != 2 {
		t.Errorf("Notify ran %d times, want 2", calls)
	}
	sub.Notify(nil)
	h.Publish(Change{Account: 1, Mailbox: 2, Kind: ChangeExpunged})
	if calls != 2 {
		t.Errorf("Notify ran after it was set to nil")
	}
	if ev, _ := sub.Events(); len(ev) != 3 {
		t.Errorf("%d events pending, want 3", len(ev))
	}
}

// TestResync: Resync reports an overflow to the subscribers of one
// account only, signalling C and Notify; SubscribedAccounts lists the
// accounts with subscribers.
func TestResync(t *testing.T) {
	var h Hub
	sub, other := h.Subscribe(1), h.Subscribe(2)
	defer sub.Close()
	notified := false
	sub.Notify(func() { notified = true })
	if got := len(h.SubscribedAccounts()); got != 2 {
		t.Fatalf("SubscribedAccounts: %d accounts, want 2", got)
	}
	h.Publish(Change{Account: 1, Mailbox: 2, Kind: ChangeAdded})
	h.Resync(1)
	select {
	case <-sub.C():
	default:
		t.Fatal("Resync did not signal C")
	}
	if ev, overflow := sub.Events(); !overflow || len(ev) != 1 || !notified {
		t.Errorf("after Resync: %d events, overflow %v, notified %v; want the event kept, overflow, notified", len(ev), overflow, notified)
	}
	if _, overflow := other.Events(); overflow {
		t.Error("Resync of account 1 reached account 2")
	}
	other.Close()
	if got := h.SubscribedAccounts(); len(got) != 1 || got[0] != 1 {
		t.Errorf("SubscribedAccounts after a Close = %v, want [1]", got)
	}
}
