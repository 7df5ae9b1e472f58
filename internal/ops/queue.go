package ops

import (
	"context"
	"errors"

	"github.com/petrelmail/petrel/internal/store"
)

// QueueAdmin is what Queue needs of queue.Service.
type QueueAdmin interface {
	Messages(ctx context.Context) ([]store.QueuedMessage, error)
	Message(ctx context.Context, id string) (store.QueuedMessage, error)
	Retry(ctx context.Context, id string) (int, error)
	Delete(ctx context.Context, id string) error
	Counts(ctx context.Context) (store.QueueCounts, error)
}

// Queue administers the outbound queue: it works while the server runs
// (docs/architecture.md §Queue).
type Queue struct {
	q QueueAdmin
}

// NewQueue returns the queue operations on q.
func NewQueue(q QueueAdmin) *Queue { return &Queue{q: q} }

// errNoID: Retry, Show and Delete need a queue ID.
var errNoID = errors.New("a queue ID is required")

// List lists every queued message, oldest first, with its recipients.
func (q *Queue) List(ctx context.Context) ([]store.QueuedMessage, error) {
	ms, err := q.q.Messages(ctx)
	return ms, wrap(err)
}

// Show returns the queued message whose queue ID is id or, when there is
// none, the messages queued from the transaction whose msg_id is id: the
// ID the client was told ("250 ... queued as ID"), also the Origin of
// the delivery status reports about that message (docs/flow.md "Tracing
// a message"). KindNotFound when there is none.
func (q *Queue) Show(ctx context.Context, id string) ([]store.QueuedMessage, error) {
	if id == "" {
		return nil, invalid("id", errNoID)
	}
	m, err := q.q.Message(ctx, id)
	switch {
	case err == nil:
		return []store.QueuedMessage{m}, nil
	case !store.IsKind(err, store.KindNotFound):
		return nil, wrap(err)
	}
	all, lerr := q.q.Messages(ctx)
	if lerr != nil {
		return nil, wrap(lerr)
	}
	var ms []store.QueuedMessage
	for _, m := range all {
		if m.Origin == id {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil, wrap(err)
	}
	return ms, nil
}

// Retry makes the deferred recipients of one message due now and returns
// how many there were. id is a queue ID or a msg_id, as for Delete.
func (q *Queue) Retry(ctx context.Context, id string) (int, error) {
	ms, err := q.own(ctx, id)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, m := range ms {
		n, err := q.q.Retry(ctx, m.ID)
		if err != nil && !store.IsKind(err, store.KindNotFound) {
			return total, wrap(err)
		}
		total += n
	}
	return total, nil
}

// RetryAll makes every deferred recipient due now and returns how many
// there were.
func (q *Queue) RetryAll(ctx context.Context) (int, error) {
	n, err := q.q.Retry(ctx, "")
	return n, wrap(err)
}

// Delete removes a queued message without sending any report and returns
// the queue IDs it removed. id is a queue ID, or the msg_id the client was
// told: then the entries queued from that transaction go, not the delivery
// status reports about it, which keep their own queue IDs (README "Outbound
// delivery").
func (q *Queue) Delete(ctx context.Context, id string) ([]string, error) {
	ms, err := q.own(ctx, id)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range ms {
		if err := q.q.Delete(ctx, m.ID); err != nil {
			if store.IsKind(err, store.KindNotFound) && len(ms) > 1 {
				continue // delivered meanwhile
			}
			return done, wrap(err)
		}
		done = append(done, m.ID)
	}
	return done, nil
}

// own is what Retry and Delete of id act on: the message whose queue ID is
// id or, for a msg_id, the entries queued from that transaction. The
// reports about a message (null sender, Origin its msg_id) are left out
// when the message itself is there; a message with a null sender gets no
// reports (RFC 3461 §6.2), so its entries are all its own.
func (q *Queue) own(ctx context.Context, id string) ([]store.QueuedMessage, error) {
	ms, err := q.Show(ctx, id)
	if err != nil || len(ms) == 1 && ms[0].ID == id {
		return ms, err
	}
	var own []store.QueuedMessage
	for _, m := range ms {
		if m.From != "" {
			own = append(own, m)
		}
	}
	if len(own) == 0 {
		return ms, nil
	}
	return own, nil
}

// Counts is the number of recipients of active messages in each state.
func (q *Queue) Counts(ctx context.Context) (store.QueueCounts, error) {
	c, err := q.q.Counts(ctx)
	return c, wrap(err)
}
