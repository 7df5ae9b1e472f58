package ops

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// deferredMessage queues the message of transaction msgID from alice to
// bob and carol and defers bob for an hour, as a failed attempt would.
func deferredMessage(t *testing.T, st store.Queue, qs *queue.Service, msgID string) string {
	t.Helper()
	ctx := context.Background()
	addr := func(s string) mailaddr.Address {
		a, err := mailaddr.Parse(s)
		must(t, err)
		return a
	}
	const body = "Subject: hi\r\n\r\nhello\r\n"
	id, err := qs.Enqueue(ctx, &envelope.Envelope{ID: msgID, From: addr("alice@example.org")}, strings.NewReader(body), int64(len(body)),
		[]envelope.Recipient{{Addr: addr("bob@remote.example")}, {Addr: addr("carol@remote.example")}})
	must(t, err)
	m, err := st.QueuedMessage(ctx, id)
	must(t, err)
	r := m.Rcpts[0]
	r.State, r.Attempts, r.NextAttempt, r.LastError = store.RcptDeferred, 1, time.Now().Add(time.Hour), "451 4.3.0 try later"
	// Record the attempt as a runner would: claim (every claimable
	// message: earlier ones may be due too), then release with the result.
	claimed, err := st.ClaimQueued(ctx, store.ClaimRequest{Owner: "test", Now: time.Now(), Lease: time.Minute, Limit: 100})
	must(t, err)
	found := false
	for _, c := range claimed {
		ch := store.QueueChange{}
		if c.ID == id {
			ch.Rcpts, found = []store.QueuedRcpt{r}, true
		}
		must(t, st.ReleaseClaim(ctx, c.ID, "test", ch))
	}
	if !found {
		t.Fatalf("ClaimQueued did not return the new message %s", id)
	}
	return id
}

func TestQueue(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	var logs bytes.Buffer
	qs := queue.New(queue.Config{}, queue.Deps{Store: st, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	q := NewQueue(qs)
	if ms, err := q.List(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("empty queue: %v, %v", ms, err)
	}
	id := deferredMessage(t, st, qs, "msgid0000001")
	ms, err := q.List(ctx)
	if err != nil || len(ms) != 1 || ms[0].ID != id || ms[0].From != "alice@example.org" || len(ms[0].Rcpts) != 2 {
		t.Fatalf("List = %+v, %v", ms, err)
	}
	ms, err = q.Show(ctx, id)
	if err != nil || len(ms) != 1 || ms[0].ID != id {
		t.Fatalf("Show(queue ID) = %+v, %v", ms, err)
	}
	m := ms[0]
	if m.Rcpts[0].State != store.RcptDeferred || m.Rcpts[0].LastError != "451 4.3.0 try later" {
		t.Fatalf("Show = %+v, %v", m, err)
	}
	if c, err := q.Counts(ctx); err != nil || c[store.RcptDeferred] != 1 || c[store.RcptPending] != 1 {
		t.Errorf("Counts = %v, %v; want 1 deferred, 1 pending", c, err)
	}

	// Retry makes the deferred recipient due now; RetryAll every deferred
	// recipient (the first message's is still deferred until tried).
	if n, err := q.Retry(ctx, id); err != nil || n != 1 {
		t.Errorf("Retry = %d, %v; want 1", n, err)
	}
	if ms, _ := q.Show(ctx, id); ms[0].Rcpts[0].NextAttempt.After(time.Now()) {
		t.Errorf("after Retry the next attempt is %v, in the future", m.Rcpts[0].NextAttempt)
	}
	id2 := deferredMessage(t, st, qs, "msgid0000002")
	if n, err := q.RetryAll(ctx); err != nil || n != 2 {
		t.Errorf("RetryAll = %d, %v; want 2", n, err)
	}
	if ms, _ := q.Show(ctx, id2); ms[0].Rcpts[0].NextAttempt.After(time.Now()) {
		t.Errorf("after RetryAll the next attempt is %v, in the future", ms[0].Rcpts[0].NextAttempt)
	}
	// The ID the client was told ("queued as ...") finds the message too
	// (issue 13), and only that one.
	if ms, err := q.Show(ctx, "msgid0000002"); err != nil || len(ms) != 1 || ms[0].ID != id2 {
		t.Errorf("Show(msg_id) = %+v, %v; want the message %s", ms, err, id2)
	}
	wantKind(t, "Show of an unknown ID", func() error { _, err := q.Show(ctx, "nosuchid0000"); return err }(), KindNotFound)

	if ids, err := q.Delete(ctx, id); err != nil || len(ids) != 1 || ids[0] != id {
		t.Fatalf("Delete = %v, %v; want [%s]", ids, err, id)
	}
	if !strings.Contains(logs.String(), "deleted by the administrator") || !strings.Contains(logs.String(), "queue_id="+id) {
		t.Errorf("the deletion is not logged:\n%s", logs.String())
	}
	wantKind(t, "Show of a deleted message", func() error { _, err := q.Show(ctx, id); return err }(), KindNotFound)
	wantKind(t, "Delete of a deleted message", deleteErr(q, id), KindNotFound)
	wantKind(t, "Retry without an ID", func() error { _, err := q.Retry(ctx, ""); return err }(), KindInvalid)
	wantKind(t, "Show without an ID", func() error { _, err := q.Show(ctx, ""); return err }(), KindInvalid)
	wantKind(t, "Delete without an ID", deleteErr(q, ""), KindInvalid)
	if ms, err := q.List(ctx); err != nil || len(ms) != 1 || ms[0].ID != id2 {
		t.Errorf("after Delete: %+v, %v; want the second message only", ms, err)
	}
}

func deleteErr(q *Queue, id string) error {
	_, err := q.Delete(context.Background(), id)
	return err
}

// Retry and Delete take the msg_id the client was told, as Show does
// (review of issue 13), and act on the message, not on the bounce about
// it that carries the same msg_id.
func TestQueueRetryDeleteByMsgID(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	qs := queue.New(queue.Config{}, queue.Deps{Store: st, Log: slog.New(slog.DiscardHandler)})
	q := NewQueue(qs)
	id := deferredMessage(t, st, qs, "msgid0000123")
	rcpt, err := mailaddr.Parse("alice@example.org")
	must(t, err)
	const report = "Subject: Undelivered Mail\r\n\r\nsorry\r\n"
	bounce, err := qs.Enqueue(ctx, &envelope.Envelope{ID: "msgid0000123"}, strings.NewReader(report), int64(len(report)),
		[]envelope.Recipient{{Addr: rcpt}})
	must(t, err)
	if ms, err := q.Show(ctx, "msgid0000123"); err != nil || len(ms) != 2 {
		t.Fatalf("Show(msg_id) = %+v, %v; want the message and its bounce", ms, err)
	}
	if n, err := q.Retry(ctx, "msgid0000123"); err != nil || n != 1 {
		t.Errorf("Retry(msg_id) = %d, %v; want the 1 deferred recipient", n, err)
	}
	if ms, err := q.Show(ctx, id); err != nil || ms[0].Rcpts[0].NextAttempt.After(time.Now()) {
		t.Errorf("after Retry(msg_id): %+v, %v; want the deferred recipient due", ms, err)
	}
	ids, err := q.Delete(ctx, "msgid0000123")
	if err != nil || len(ids) != 1 || ids[0] != id {
		t.Fatalf("Delete(msg_id) = %v, %v; want [%s]", ids, err, id)
	}
	wantKind(t, "Show of the message deleted by msg_id", func() error { _, err := q.Show(ctx, id); return err }(), KindNotFound)
	if ms, err := q.Show(ctx, bounce); err != nil || len(ms) != 1 {
		t.Errorf("the bounce went with the message: %+v, %v", ms, err)
	}
	// Only the bounce is left: the msg_id now names it.
	if ids, err := q.Delete(ctx, "msgid0000123"); err != nil || len(ids) != 1 || ids[0] != bounce {
		t.Errorf("Delete(msg_id) of the bounce left = %v, %v; want [%s]", ids, err, bounce)
	}
	wantKind(t, "Retry of an unknown msg_id", func() error { _, err := q.Retry(ctx, "nosuchid0000"); return err }(), KindNotFound)
}
