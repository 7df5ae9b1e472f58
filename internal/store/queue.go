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
)

var rcptStateNames = [...]string{"pending", "deferred", "delivered", "failed"}

func (s RcptState) String() string {
	if s >= 0 && int(s) < len(rcptStateNames) {
		return rcptStateNames[s]
	}
	return "unknown"
}

// Active reports whether the recipient still waits for delivery.
func (s RcptState) Active() bool { return s == RcptPending || s == RcptDeferred }

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
	Origin   string // ID of the SMTP transaction that queued it (logs)
	From     string // envelope sender; "" is the null reverse-path
	EnvID    string // DSN ENVID (RFC 3461 §4.4)
	Ret      string // DSN RET: "FULL", "HDRS" or ""
	SMTPUTF8 bool
	BodyType string // "7BIT", "8BITMIME" or ""
	Arrived  time.Time
	Size     int64
	Blob     BlobID
	// DelayWarned is set once a delay DSN went out.
	DelayWarned bool
	Rcpts       []QueuedRcpt
}

// NewQueued is a message to queue; its recipients start RcptPending.
type NewQueued struct {
	ID, Origin, From, EnvID, Ret string
	SMTPUTF8                     bool
	BodyType                     string
	Arrived                      time.Time
	Body                         io.Reader // read once
	Rcpts                        []QueuedRcpt
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

// Queue stores the outbound queue. Enqueue has the durability contract of
// Mail.Deliver (docs/architecture.md §Durability): the body and the rows are
// committed before it returns.
type Queue interface {
	Enqueue(ctx context.Context, m NewQueued) (QueuedMessage, error)
	// QueuedMessage returns one message (KindNotFound when gone).
	QueuedMessage(ctx context.Context, id string) (QueuedMessage, error)
	// QueuedMessages lists every message, oldest first.
	QueuedMessages(ctx context.Context) ([]QueuedMessage, error)
	// PendingIDs lists up to limit messages with recipients never tried,
	// oldest first; DueIDs those with deferred recipients due at now,
	// earliest first. The two are kept apart so that a backlog of deferred
	// mail does not delay new mail.
	PendingIDs(ctx context.Context, limit int) ([]string, error)
	DueIDs(ctx context.Context, now time.Time, limit int) ([]string, error)
	// NextDue is the earliest NextAttempt of a deferred recipient (zero
	// time when there is none).
	NextDue(ctx context.Context) (time.Time, error)
	UpdateQueued(ctx context.Context, id string, ch QueueChange) error
	// RetryQueued makes the deferred recipients of one message (id != "")
	// or of all messages due at now; it returns how many recipients.
	RetryQueued(ctx context.Context, id string, now time.Time) (int, error)
	// DeleteQueued removes a message without any report.
	DeleteQueued(ctx context.Context, id string) error
	QueueCounts(ctx context.Context) (QueueCounts, error)
	OpenBlob(ctx context.Context, blob BlobID) (Blob, error)
}
