package store

import (
	"context"
	"io"
	"time"
)

// RcptState is the delivery state of one recipient of a queued message.
type RcptState int

const (
	// RcptPending: not tried yet (new mail).
	RcptPending RcptState = iota
	// RcptDeferred: a temporary failure; tried again at NextAttempt.
	RcptDeferred
	// RcptDelivered: the remote server accepted it.
	RcptDelivered
	// RcptFailed: a permanent failure, or the queue lifetime ran out.
	RcptFailed
	// RcptHeld: held (NewQueued.Held): never claimed, tried or expired
	// until released by RetryQueued, which makes it RcptPending.
	RcptHeld
)

var rcptStateNames = [...]string{"pending", "deferred", "delivered", "failed", "held"}

func (s RcptState) String() string {
	if s >= 0 && int(s) < len(rcptStateNames) {
		return rcptStateNames[s]
	}
	return "unknown"
}

// Active reports whether the recipient still waits for delivery (a held
// one too: it keeps its message in the queue).
func (s RcptState) Active() bool { return s == RcptPending || s == RcptDeferred || s == RcptHeld }

// QueuedRcpt is one recipient of a queued message and its delivery state.
type QueuedRcpt struct {
	Index  int    // position in the message, stable
	Addr   string // canonical address
	Domain string // destination domain (grouping key of an attempt)
	ORcpt  string // DSN ORCPT (RFC 3461 §4.2), "addr-type;address", or ""
	Notify []string

	State       RcptState
	Attempts    int
	NextAttempt time.Time // RcptDeferred: when to try again
	LastAttempt time.Time
	// LastError is the last reply or local diagnostic ("550 5.1.1 ..."),
	// never a body or a password.
	LastError string
	// Status is the RFC 3463 status of the last attempt ("4.4.1").
	Status    string
	RemoteMTA string // host that gave the last reply, or ""
}

// QueuedMessage is an outbound message with its recipients.
type QueuedMessage struct {
	ID       string // queue ID (obs.NewID)
	Origin   string // msg_id of the transaction that queued it, or of the message a report is about (logs)
	From     string // envelope sender; "" is the null reverse-path
	EnvID    string // DSN ENVID (RFC 3461 §4.4)
	Ret      string // DSN RET: "FULL", "HDRS" or ""
	SMTPUTF8 bool
	BodyType string // "7BIT", "8BITMIME" or ""
	// RequireTLS: the REQUIRETLS parameter (RFC 8689 §2); TLSOptional:
	// the "TLS-Required: No" header field (RFC 8689 §3). At most one is
	// set.
	RequireTLS  bool
	TLSOptional bool
	Arrived     time.Time
	Size        int64
	Blob        BlobID
	// DelayWarned is set once a delay DSN went out.
	DelayWarned bool
	Rcpts       []QueuedRcpt
	// ClaimOwner holds the message until ClaimUntil (Queue.ClaimQueued);
	// "" when no runner has claimed it.
	ClaimOwner string
	ClaimUntil time.Time
}

// NewQueued is a message to queue; its recipients start RcptPending.
type NewQueued struct {
	ID, Origin, From, EnvID, Ret string
	SMTPUTF8                     bool
	BodyType                     string
	RequireTLS, TLSOptional      bool // as in QueuedMessage
	// Held queues the recipients RcptHeld: kept, never sent, until
	// RetryQueued releases them (README "Spam and abuse": outbound mail
	// the content filter rejects).
	Held    bool
	Arrived time.Time
	Body    io.Reader // read once
	Rcpts   []QueuedRcpt
}

// QueueChange updates recipients of one message after an attempt. Rcpts
// are matched by Index. When no recipient is left active the message and
// its body reference are removed in the same transaction.
type QueueChange struct {
	Rcpts       []QueuedRcpt
	DelayWarned bool
}

// QueueCounts is the number of recipients in each state (active messages).
type QueueCounts map[RcptState]int64

// ClaimRequest asks Queue.ClaimQueued for work (docs/architecture.md
// §Queue).
type ClaimRequest struct {
	// Owner names the claimer: one queue runner of one process (host,
	// pid and a random part), the same in its renewals and releases.
	Owner string
	// Now is the claimer's clock; the lease runs until Now+Lease.
	Now   time.Time
	Lease time.Duration
	// Limit bounds the messages claimed.
	Limit int
	// NewOnly claims only messages with recipients never tried, not the
	// deferred mail that is due.
	NewOnly bool
	// Skip lists destination domains the claimer has no free slot for:
	// their recipients do not make a message claimable.
	Skip []string
	// Held lists the messages the claimer is still at work on (also
	// after it released them): they are not claimed again.
	Held []string
}

// Queue stores the outbound queue. Enqueue has the durability contract of
// Mail.Deliver (docs/architecture.md §Durability): the body and the rows are
// committed before it returns.
//
// The runners of several processes may share one queue: a runner claims
// messages with a lease (ClaimQueued), renews the lease while it sends
// (RenewClaims) and ends the claim with the attempt's outcome
// (ReleaseClaim). A message whose lease is live is never handed to another
// claimer; a lease that ran out (its process died or hung) is taken over
// by the next claim. Where the lease times come from is the backend's:
// SQLite compares the claimers' clocks (processes of one machine), the
// PostgreSQL backend the database's (docs/architecture.md §Queue).
type Queue interface {
	Enqueue(ctx context.Context, m NewQueued) (QueuedMessage, error)
	// QueuedMessage returns one message (KindNotFound when gone).
	QueuedMessage(ctx context.Context, id string) (QueuedMessage, error)
	// QueuedMessages lists every message, oldest first.
	QueuedMessages(ctx context.Context) ([]QueuedMessage, error)
	// ClaimQueued claims up to r.Limit messages that have recipients due
	// at r.Now and no live lease, for r.Owner until r.Now+r.Lease, and
	// returns them with their recipients. Messages with recipients never
	// tried come first, oldest first; then (unless r.NewOnly) those with
	// deferred recipients due, earliest due first: a backlog of deferred
	// mail does not delay new mail.
	ClaimQueued(ctx context.Context, r ClaimRequest) ([]QueuedMessage, error)
	// RenewClaims extends owner's leases on ids until until and returns
	// the ids it no longer holds (removed, or taken over after the lease
	// ran out).
	RenewClaims(ctx context.Context, owner string, ids []string, until time.Time) (lost []string, err error)
	// ReleaseClaim records the outcome of owner's attempt (ch, which may
	// be empty) and ends the claim, in one transaction; a message left
	// without active recipients is removed with its body reference. It
	// is KindNotFound when the message is gone (deleted meanwhile) and
	// KindModified, with nothing changed, when another owner holds it.
	ReleaseClaim(ctx context.Context, id, owner string, ch QueueChange) error
	// NextDue is the earliest NextAttempt of a deferred recipient (zero
	// time when there is none).
	NextDue(ctx context.Context) (time.Time, error)
	// RetryQueued makes the deferred recipients of one message (id != "")
	// or of all messages due at now, and releases the held ones
	// (RcptHeld becomes RcptPending); it returns how many recipients. A
	// claimed message is tried again once its claim is released.
	RetryQueued(ctx context.Context, id string, now time.Time) (int, error)
	// DeleteQueued removes a message without any report, claimed or not:
	// the claimer learns it at its next renewal or release, and an
	// attempt already under way may still deliver.
	DeleteQueued(ctx context.Context, id string) error
	QueueCounts(ctx context.Context) (QueueCounts, error)
	OpenBlob(ctx context.Context, blob BlobID) (Blob, error)
}

// Queued is the QueuedMessage that Enqueue stores for m with a body of
// size octets: recipients indexed in order, pending, never tried.
func (m NewQueued) Queued(size int64) QueuedMessage {
	q := QueuedMessage{ID: m.ID, Origin: m.Origin, From: m.From, EnvID: m.EnvID, Ret: m.Ret,
		SMTPUTF8: m.SMTPUTF8, BodyType: m.BodyType, RequireTLS: m.RequireTLS, TLSOptional: m.TLSOptional,
		Arrived: m.Arrived, Size: size}
	state := RcptPending
	if m.Held {
		state = RcptHeld
	}
	for i, r := range m.Rcpts {
		r.Index, r.State, r.Attempts = i, state, 0
		q.Rcpts = append(q.Rcpts, r)
	}
	return q
}
