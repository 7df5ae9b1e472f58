package queue

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// Store is what the queue needs of the storage backend.
type Store interface {
	store.Queue
}

// Outbound is one delivery attempt to one destination domain.
type Outbound struct {
	From     string // "" = null reverse-path
	Rcpts    []OutRcpt
	Body     func() (io.ReadCloser, error)
	Size     int64
	EightBit bool
	SMTPUTF8 bool
	EnvID    string
	Ret      string
}

// OutRcpt is one recipient of an attempt.
type OutRcpt struct {
	Addr   string
	Notify []string
	ORcpt  string
}

// Result is the outcome of an attempt for one recipient.
type Result struct {
	Rcpt      string
	Reply     *smtpreply.Reply // nil: no server answered (treated as 4.4.1)
	RemoteMTA string
	RemoteIP  netip.Addr
	TLS       string // "" without TLS
}

// Sender delivers to the mail servers of one domain (package smtpclient).
type Sender interface {
	Send(ctx context.Context, domain string, m *Outbound) []Result
}

// LocalDeliverer delivers a report (a bounce) to a local address through
// the local delivery path; local is false when the address is not local,
// and the queue then sends the report out itself.
type LocalDeliverer func(ctx context.Context, rcpt mailaddr.Address, msg []byte) (local bool, err error)

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

// Message is the envelope of a message to queue.
type Message struct {
	Origin   string           // ID of the SMTP transaction, for logs
	From     mailaddr.Address // zero = null reverse-path
	EnvID    string
	Ret      string
	SMTPUTF8 bool
	BodyType string
	Arrived  time.Time // zero = now
	Rcpts    []Rcpt
}

// Rcpt is one recipient to queue.
type Rcpt struct {
	Addr   mailaddr.Address
	Notify []string // upper case
	ORcpt  string
}

// Enqueue stores the message durably and returns its queue ID; the runner
// is woken to try it at once.
func (s *Service) Enqueue(ctx context.Context, m Message, body io.Reader) (string, error) {
	nq := store.NewQueued{ID: obs.NewID(), Origin: m.Origin, EnvID: m.EnvID, Ret: m.Ret,
		SMTPUTF8: m.SMTPUTF8, BodyType: m.BodyType, Arrived: m.Arrived, Body: body}
	if !m.From.IsZero() {
		nq.From = m.From.String()
	}
	if nq.Arrived.IsZero() {
		nq.Arrived = s.d.Now()
	}
	for _, r := range m.Rcpts {
		nq.Rcpts = append(nq.Rcpts, store.QueuedRcpt{Addr: r.Addr.String(), Domain: r.Addr.Domain,
			Notify: r.Notify, ORcpt: r.ORcpt})
	}
	q, err := s.d.Store.Enqueue(ctx, nq)
	if err != nil {
		return "", err
	}
	s.d.Log.Info("queued", "queue_id", q.ID, "msg_id", m.Origin, "from", nq.From,
		"rcpts", len(q.Rcpts), "size", q.Size)
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
