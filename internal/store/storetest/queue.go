package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testQueue checks the outbound queue storage: durable enqueue across a
// restart, new mail claimed before deferred mail, per-recipient updates
// recorded at release, retry, removal with the body, and counts.
func testQueue(t *testing.T, b Backend) {
	e := newEnv(t, b)
	q := e.s
	now := time.Now().Truncate(time.Millisecond)
	body := msg("queued", 1000)
	big := msg("queued-big", 300<<10) // a file blob
	for i, data := range [][]byte{body, big} {
		_, err := q.Enqueue(e.ctx, store.NewQueued{ID: []string{"q1", "q2"}[i], From: "a@example.org", Arrived: now,
			RequireTLS: i == 0, TLSOptional: i == 1, Body: bytes.NewReader(data), Rcpts: []store.QueuedRcpt{
				{Addr: "x@one.example", Domain: "one.example", Notify: []string{"FAILURE", "DELAY"}, ORcpt: "rfc822;x@one.example"},
				{Addr: "y@two.example", Domain: "two.example"}}})
		if err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	if _, err := q.Enqueue(e.ctx, store.NewQueued{ID: "q1", Body: bytes.NewReader(body),
		Rcpts: []store.QueuedRcpt{{Addr: "z@x.example", Domain: "x.example"}}}); !store.IsKind(err, store.KindExists) {
		t.Fatalf("duplicate ID: %v", err)
	}
	e.reopen()
	q = e.s
	m, err := q.QueuedMessage(e.ctx, "q2")
	if err != nil || len(m.Rcpts) != 2 || m.Rcpts[0].State != store.RcptPending || !m.Arrived.Equal(now) ||
		m.Rcpts[0].ORcpt != "rfc822;x@one.example" || len(m.Rcpts[0].Notify) != 2 {
		t.Fatalf("after reopen: %+v, %v", m, err)
	}
	if got := sum(e.readBlob(m.Blob)); got != sum(big) {
		t.Fatal("queued body differs")
	}
	checkQueuedTLS(t, "after reopen", q.QueuedMessages)
	claim := func(at time.Time, newOnly bool) []string {
		t.Helper()
		ms, err := q.ClaimQueued(e.ctx, store.ClaimRequest{Owner: "node-a", Now: at, Lease: time.Minute, Limit: 10, NewOnly: newOnly})
		if err != nil {
			t.Fatalf("ClaimQueued: %v", err)
		}
		return queuedIDs(ms)
	}
	release := func(id string, ch store.QueueChange) {
		t.Helper()
		if err := q.ReleaseClaim(e.ctx, id, "node-a", ch); err != nil {
			t.Fatalf("ReleaseClaim(%s): %v", id, err)
		}
	}
	checkQueuedTLS(t, "claimed", func(context.Context) ([]store.QueuedMessage, error) {
		return q.ClaimQueued(e.ctx, store.ClaimRequest{Owner: "node-a", Now: now, Lease: time.Minute, Limit: 10})
	})
	release("q1", store.QueueChange{})
	release("q2", store.QueueChange{})
	if ids := claim(now, false); !slices.Equal(ids, []string{"q1", "q2"}) {
		t.Fatalf("claimed %v, want q1, q2", ids)
	}
	release("q2", store.QueueChange{})
	next := now.Add(time.Hour)
	ch := store.QueueChange{Rcpts: []store.QueuedRcpt{
		{Index: 0, State: store.RcptDeferred, Attempts: 1, NextAttempt: next, LastAttempt: now, LastError: "451 4.4.1 later", Status: "4.4.1"},
		{Index: 1, State: store.RcptDelivered, Attempts: 1, LastAttempt: now, RemoteMTA: "mx.two.example"}}}
	release("q1", ch)
	if ids := claim(now, false); !slices.Equal(ids, []string{"q2"}) {
		t.Fatalf("claimed after the attempt %v, want q2 only (q1 is not due)", ids)
	}
	release("q2", store.QueueChange{})
	if ids := claim(next, true); !slices.Equal(ids, []string{"q2"}) {
		t.Fatalf("new mail only, at the due time: %v, want q2", ids)
	}
	release("q2", store.QueueChange{})
	if ids := claim(next, false); !slices.Equal(ids, []string{"q2", "q1"}) {
		t.Fatalf("at the due time: %v, want new q2 then due q1", ids)
	}
	release("q1", store.QueueChange{})
	release("q2", store.QueueChange{})
	if d, _ := q.NextDue(e.ctx); !d.Equal(next) {
		t.Fatalf("NextDue = %v, want %v", d, next)
	}
	if n, err := q.RetryQueued(e.ctx, "", now); err != nil || n != 1 {
		t.Fatalf("RetryQueued = %d, %v", n, err)
	}
	if ids := claim(now, false); !slices.Equal(ids, []string{"q2", "q1"}) {
		t.Fatalf("after retry: %v, want q2 and q1", ids)
	}
	release("q1", store.QueueChange{})
	release("q2", store.QueueChange{})
	counts, _ := q.QueueCounts(e.ctx)
	if counts[store.RcptPending] != 2 || counts[store.RcptDeferred] != 1 || counts[store.RcptDelivered] != 1 {
		t.Fatalf("QueueCounts = %v", counts)
	}
	m, _ = q.QueuedMessage(e.ctx, "q1")
	if r := m.Rcpts[0]; r.LastError != "451 4.4.1 later" || r.Status != "4.4.1" || r.Attempts != 1 || !r.LastAttempt.Equal(now) {
		t.Fatalf("recipient after update: %+v", r)
	}
	// The last active recipient settled: the message and its body go.
	ch = store.QueueChange{Rcpts: []store.QueuedRcpt{{Index: 0, State: store.RcptFailed, Attempts: 2, Status: "5.4.7"}}}
	if ids := claim(now, false); len(ids) != 2 {
		t.Fatalf("claimed %v, want both", ids)
	}
	release("q1", ch)
	if _, err := q.QueuedMessage(e.ctx, "q1"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("settled message still queued: %v", err)
	}
	blob := m.Blob
	if _, err := e.s.OpenBlob(e.ctx, blob); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("body of a settled message kept: %v", err)
	}
	release("q2", store.QueueChange{})
	if err := q.DeleteQueued(e.ctx, "q2"); err != nil {
		t.Fatalf("DeleteQueued: %v", err)
	}
	if list, _ := q.QueuedMessages(e.ctx); len(list) != 0 {
		t.Fatalf("queue not empty: %d", len(list))
	}
	wantKind(t, "DeleteQueued gone", q.DeleteQueued(e.ctx, "q2"), store.KindNotFound)
	if _, err := q.RetryQueued(e.ctx, "nope", now); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("RetryQueued unknown: %v", err)
	}
}

// checkQueuedTLS checks that list returns q1 with RequireTLS and q2 with
// TLSOptional (RFC 8689), as testQueue enqueued them.
func checkQueuedTLS(t *testing.T, what string, list func(context.Context) ([]store.QueuedMessage, error)) {
	t.Helper()
	ms, err := list(context.Background())
	if err != nil || len(ms) != 2 {
		t.Fatalf("%s: %d messages, %v", what, len(ms), err)
	}
	for _, m := range ms {
		if m.RequireTLS != (m.ID == "q1") || m.TLSOptional != (m.ID == "q2") {
			t.Errorf("%s: %s has RequireTLS %v, TLSOptional %v", what, m.ID, m.RequireTLS, m.TLSOptional)
		}
	}
}

func queuedIDs(ms []store.QueuedMessage) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}
