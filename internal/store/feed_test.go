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
