package store

import (
	"errors"
	"fmt"
)

// Kind classifies a storage error so that each protocol can map it to its
// own reply in one table (docs/architecture.md §Errors). Error text never
// reaches the wire.
type Kind int

const (
	// KindInternal is an unexpected failure (I/O, corruption, a bug).
	KindInternal Kind = iota
	// KindNotFound: the account, mailbox, message or alias does not exist.
	KindNotFound
	// KindExists: the name is already taken.
	KindExists
	// KindOverQuota: the account's byte or message quota would be exceeded.
	KindOverQuota
	// KindTemporary: a transient condition (busy, shutting down); retry later.
	KindTemporary
	// KindInvalid: the request itself is invalid (bad name, forbidden
	// operation such as deleting INBOX).
	KindInvalid
	// KindModified: a conditional change (UNCHANGEDSINCE) was refused.
	KindModified
	// KindClosed: the store has been closed.
	KindClosed
	// KindNoSpace: the filesystem (or the database) is full: SQLITE_FULL,
	// ENOSPC, EDQUOT, or new mail refused while the deletion reserve is in
	// use (README "Storage"). Temporary: it passes when space is freed;
	// protocols say so (SMTP 452 4.3.1, RFC 3463 §3.5).
	KindNoSpace
)

var kindNames = [...]string{"internal", "not found", "exists", "over quota", "temporary", "invalid", "modified", "closed", "no space"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the error type returned by every store operation.
type Error struct {
	Kind Kind
	Op   string // the operation, e.g. "deliver"
	Err  error  // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "store: " + e.Op + ": " + e.Kind.String() + ": " + e.Err.Error()
	}
	return "store: " + e.Op + ": " + e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind.
func Errorf(kind Kind, op string, format string, args ...any) error {
	return &Error{Kind: kind, Op: op, Err: fmt.Errorf(format, args...)}
}

// Wrap wraps err as an *Error of the given kind, unless it already is one.
func Wrap(kind Kind, op string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{Kind: kind, Op: op, Err: err}
}

// KindOf returns the kind of err: KindInternal for errors that are not
// store errors.
func KindOf(err error) Kind {
	var se *Error
	if errors.As(err, &se) {
		return se.Kind
	}
	return KindInternal
}

// IsKind reports whether err is a store error of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }
