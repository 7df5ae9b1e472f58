package store

import (
	"context"
	"time"
)

// Locks are named, owned locks with an expiry (leases), shared by every
// node that opens the same store (docs/architecture.md §Shared state). A
// holder renews its lock while it needs it; the lock of a node that
// crashed expires by itself. POP3 locks maildrops with them (RFC 1939
// §8); ACME (issue 15) will lock certificate operations with them. The
// expiry is decided by the backend's clock, not the caller's.
type Locks interface {
	// TryLock takes the lock name for owner until ttl from now when it
	// is free, expired, or already owner's (which renews it), and
	// reports whether owner holds it. A lock held by another owner is
	// false, nil. Empty names or owners and ttl <= 0 are KindInvalid.
	TryLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// RenewLock extends owner's lock to ttl from now. It is KindNotFound
	// when owner no longer holds it (released, or expired and taken).
	RenewLock(ctx context.Context, name, owner string, ttl time.Duration) error
	// Unlock releases owner's lock. A lock owner does not hold (any
	// more) is left as it is, without an error.
	Unlock(ctx context.Context, name, owner string) error
}

// Recent keeps, per mailbox, the \Recent boundary (RFC 3501 §2.3.2): the
// highest UID that a session has been told about. Messages above it are
// recent; the session that raises the boundary over them is the one that
// sees them \Recent, whichever node it runs on. The boundary of a
// mailbox goes with the mailbox when it is deleted.
type Recent interface {
	// RecentUID returns the boundary (0 for a mailbox never claimed).
	RecentUID(ctx context.Context, mailbox MailboxID) (UID, error)
	// ClaimRecent raises the boundary to upTo, atomically, and returns
	// the boundary it had: the messages with a UID in (before, upTo] are
	// recent for the caller and for no other session. The boundary
	// never goes down (upTo below it changes nothing).
	ClaimRecent(ctx context.Context, mailbox MailboxID, upTo UID) (before UID, err error)
}

// Sessions is the session state that must hold across the nodes of one
// store.
type Sessions interface {
	Locks
	Recent
}
