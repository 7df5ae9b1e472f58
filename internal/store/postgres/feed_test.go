package postgres

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestFeedPayloads: a batch's changes are split into notifications within
// PostgreSQL's limit that carry them all, in order; a change too large
// for one becomes a resynchronisation of its account.
func TestFeedPayloads(t *testing.T) {
	var changes []store.Change
	for i := range 300 {
		changes = append(changes, store.Change{Account: store.AccountID(i%7 + 1), Mailbox: store.MailboxID(i), Kind: store.ChangeAdded,
			UIDs: []store.UID{store.UID(i + 1)}, ModSeq: store.ModSeq(i + 2), State: store.State(i)})
	}
	big := store.Change{Account: 42, Mailbox: 9, Kind: store.ChangeExpunged}
	for u := range 3000 {
		big.UIDs = append(big.UIDs, store.UID(u+1))
	}
	changes = append(changes[:150], append([]store.Change{big}, changes[150:]...)...)
	payloads, err := feedPayloads("node1", changes)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) < 3 {
		t.Fatalf("%d payloads for 300 changes, want several", len(payloads))
	}
	var got []store.Change
	var resync []store.AccountID
	for _, p := range payloads {
		if len(p) > maxPayload {
			t.Fatalf("payload of %d octets, limit %d", len(p), maxPayload)
		}
		var m feedMessage
		if err := json.Unmarshal([]byte(p), &m); err != nil || m.Node != "node1" {
			t.Fatalf("payload %q: %v", p, err)
		}
		got = append(got, m.Changes...)
		resync = append(resync, m.Accounts...)
	}
	want := append(append([]store.Change(nil), changes[:150]...), changes[151:]...)
	if !slices.EqualFunc(got, want, func(a, b store.Change) bool {
		return a.Account == b.Account && a.Mailbox == b.Mailbox && a.Kind == b.Kind && slices.Equal(a.UIDs, b.UIDs) &&
			a.ModSeq == b.ModSeq && a.State == b.State
	}) {
		t.Fatalf("the payloads carry %d changes, not the %d sent in order", len(got), len(want))
	}
	if !slices.Equal(resync, []store.AccountID{42}) {
		t.Fatalf("resynchronised accounts %v, want [42]", resync)
	}
}
