package queue

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/store"
)

// Store is what the queue needs of the storage backend.
type Store interface {
	store.Queue
}

// Sender delivers to the mail servers of one domain: package smtpclient's
// Client, whose Message is the wire form of a queued message (addresses as
// stored, a body opened again for each host tried).
type Sender interface {
	Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result
}

// LocalDeliverer delivers a report (a bounce) to a local address through
// the local delivery path, as the transaction msgID (the report's own
// msg_id, for its Received field and the logs); local is false when the
// address is not local, and the queue then sends the report out itself.
type LocalDeliverer func(ctx context.Context, msgID string, rcpt mailaddr.Address, msg []byte) (local bool, err error)

// Deps are the services a Service uses.
type Deps struct {
	Store  Store
	Sender Sender         // may be nil for a queue that only takes mail in
	Local  LocalDeliverer // may be nil: every report is queued
	Signer Signer         // may be nil: reports go out unsigned
	Now    func() time.Time
	Log    *slog.Logger
	// Metrics may be nil.
	Metrics *Metrics
}

// Service is the outbound queue: Enqueue takes mail in, Run delivers it.
type Service struct {
	cfg     Config
	d       Deps
	wake    chan struct{} // look for due mail (Wake)
	newMail chan struct{} // look for new mail (Enqueue)
}

// New returns a queue service.
func New(cfg Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg.withDefaults(), d: d, wake: make(chan struct{}, 1), newMail: make(chan struct{}, 1)}
}

// Enqueue stores the message durably for rcpts (all in other domains)
// and returns its queue ID; the runner is woken to try it at once. body
// holds size octets. The envelope gives the sender and the parameters kept
// with the message (RET, ENVID, SMTPUTF8, BODY, REQUIRETLS and the
// TLS-Required field), env.ID names the
// transaction in the logs, and env.Received is its arrival (zero = now).
// It implements delivery's Queue.
func (s *Service) Enqueue(ctx context.Context, env *envelope.Envelope, body io.Reader, size int64, rcpts []envelope.Recipient) (string, error) {
	nq := store.NewQueued{ID: obs.NewID(), Origin: env.ID, From: env.ReversePath(), EnvID: env.EnvID, Ret: env.Ret,
		SMTPUTF8: env.SMTPUTF8, BodyType: env.Body, Arrived: env.Received, Body: io.LimitReader(body, size),
		// REQUIRETLS overrides the TLS-Required field (RFC 8689 §4.1).
		RequireTLS: env.RequireTLS, TLSOptional: env.TLSOptional && !env.RequireTLS, Held: env.Held}
	if nq.Arrived.IsZero() {
		nq.Arrived = s.d.Now()
	}
	for _, r := range rcpts {
		nq.Rcpts = append(nq.Rcpts, store.QueuedRcpt{Addr: r.Addr.String(), Domain: r.Addr.Domain,
			Notify: r.Notify, ORcpt: r.ORcpt})
	}
	q, err := s.d.Store.Enqueue(ctx, nq)
	if err != nil {
		return "", err
	}
	s.d.Log.Info("queued", "queue_id", q.ID, "msg_id", env.ID, "from", nq.From,
		"rcpts", len(q.Rcpts), "size", q.Size, "held", nq.Held)
	select {
	case s.newMail <- struct{}{}:
	default:
	}
	return q.ID, nil
}

// Wake makes the runner look for work now, deferred mail included.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
