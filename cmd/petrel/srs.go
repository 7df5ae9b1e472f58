package main

import (
	"context"
	"io"
	"time"

	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/srs"
)

// newSRS is the Sender Rewriting Scheme of forwarded mail ([srs]; README
// "Forwarding and SRS"), its key in the store's KV so that every node
// shares it; nil when srs.enabled is false.
func newSRS(d deps) delivery.SRS {
	if !d.cfg.SRS.Enabled {
		return nil
	}
	return srs.New(srs.Config{MaxAge: time.Duration(d.cfg.SRS.MaxAgeDays) * 24 * time.Hour}, d.st)
}

// queueRef is a delivery.Queue set once the queue exists: the delivery
// path of the queue's own reports needs the queue to send a bounce to an
// SRS address on to the original sender.
type queueRef struct{ q delivery.Queue }

func (r *queueRef) Enqueue(ctx context.Context, env *envelope.Envelope, body io.Reader, size int64, rcpts []envelope.Recipient) (string, error) {
	return r.q.Enqueue(ctx, env, body, size, rcpts)
}
