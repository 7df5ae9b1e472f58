package queue

import (
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// retryDelay is the wait after the given number of failed attempts
// (1 = after the first): delivery.retry in turn, then its last value
// again and again (RFC 5321 §4.5.4.1).
func (c Config) retryDelay(attempts int) time.Duration {
	i := attempts - 1
	if i < 0 {
		i = 0
	}
	if i >= len(c.Retry) {
		i = len(c.Retry) - 1
	}
	return c.Retry[i]
}

// expiry is when a message has been queued for too long.
func (c Config) expiry(arrived time.Time) time.Time { return arrived.Add(c.MaxQueueTime) }

// deferRcpt moves a recipient to deferred after a temporary failure, or to
// failed when the queue lifetime has run out. The last retry is no later
// than the expiry, so that a message is bounced on time.
func (c Config) deferRcpt(r *store.QueuedRcpt, arrived, now time.Time) {
	exp := c.expiry(arrived)
	if !now.Before(exp) {
		r.State = store.RcptFailed
		return
	}
	next := now.Add(c.retryDelay(r.Attempts))
	if next.After(exp) {
		next = exp
	}
	r.State, r.NextAttempt = store.RcptDeferred, next
}

// due reports whether a recipient should be tried at now.
func due(r store.QueuedRcpt, now time.Time) bool {
	return r.State == store.RcptPending || (r.State == store.RcptDeferred && !r.NextAttempt.After(now))
}
