package storetest

import (
	"strings"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// testReserveEmailIDs: EmailIDs reserved through one handle of the store
// while another handle (another process, for SQLite) delivers are unique,
// ascending, and never the EmailID of a delivered message.
func testReserveEmailIDs(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("r")
	inbox := e.mailbox(a.ID, "INBOX")
	other, err := b.Open(e.instance)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	const rounds, n = 20, 5
	var wg sync.WaitGroup
	var appendErr error
	wg.Go(func() {
		for range rounds {
			msgs := make([]store.AppendMessage, n)
			for i := range msgs {
				msgs[i] = store.AppendMessage{Body: strings.NewReader("Subject: live\r\n\r\nbody\r\n")}
			}
			if _, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, msgs); err != nil {
				appendErr = err
				return
			}
		}
	})
	reserved := map[store.EmailID]bool{}
	var last store.EmailID
	for range rounds {
		ids, err := other.ReserveEmailIDs(e.ctx, n)
		if err != nil || len(ids) != n {
			t.Fatalf("ReserveEmailIDs = %v, %v", ids, err)
		}
		for _, id := range ids {
			if id <= last || reserved[id] {
				t.Fatalf("reserved %d after %d", id, last)
			}
			reserved[id], last = true, id
		}
	}
	wg.Wait()
	if appendErr != nil {
		t.Fatal(appendErr)
	}
	msgs, err := e.s.Messages(e.ctx, inbox.ID, 1, 0)
	if err != nil || len(msgs) != rounds*n {
		t.Fatalf("Messages = %d, %v", len(msgs), err)
	}
	for _, m := range msgs {
		if reserved[m.EmailID] {
			t.Errorf("UID %d has the reserved EmailID %d", m.UID, m.EmailID)
		}
	}
	// The counters report the reservations: a copy of the store keeps
	// them handed out.
	if c, err := e.s.Counters(e.ctx); err != nil || c.EmailID < last {
		t.Errorf("Counters = %+v, %v; last reserved %d", c, err, last)
	}
}
