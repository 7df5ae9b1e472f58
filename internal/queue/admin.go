package queue

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// The administration of the queue (internal/ops, petrel queue). They work
// while a runner runs, in this process or another: a retry is seen at its
// next poll, or at once when it runs in this process (Wake).

// Messages lists every queued message, oldest first.
func (s *Service) Messages(ctx context.Context) ([]store.QueuedMessage, error) {
	return s.d.Store.QueuedMessages(ctx)
}

// Message returns one queued message (store.KindNotFound when gone).
func (s *Service) Message(ctx context.Context, id string) (store.QueuedMessage, error) {
	return s.d.Store.QueuedMessage(ctx, id)
}

// Retry makes the deferred recipients of message id, or of every message
// when id is "", due now; it returns how many recipients.
func (s *Service) Retry(ctx context.Context, id string) (int, error) {
	n, err := s.d.Store.RetryQueued(ctx, id, s.d.Now())
	if err == nil && n > 0 {
		s.Wake()
	}
	return n, err
}

// Delete removes a queued message without any report, and logs that the
// administrator did, with its msg_id so that the message's trace shows it
// (docs/flow.md "Tracing a message").
func (s *Service) Delete(ctx context.Context, id string) error {
	m, err := s.d.Store.QueuedMessage(ctx, id)
	if err != nil {
		return err
	}
	if err := s.d.Store.DeleteQueued(ctx, id); err != nil {
		return err
	}
	s.d.Log.Info("queued message deleted by the administrator, without a report", msgAttrs(&m, "from", m.From)...)
	return nil
}

// Counts is the number of recipients in each state.
func (s *Service) Counts(ctx context.Context) (store.QueueCounts, error) {
	return s.d.Store.QueueCounts(ctx)
}
