package ops

import (
	"errors"
	"net/http"

	"github.com/petrelmail/petrel/internal/store"
)

// Kind classifies an operation's failure, so that each caller maps it in
// one place: the CLI to its exit status, an HTTP API to its status code
// (HTTPStatus).
type Kind int

const (
	// KindInternal: an unexpected failure (I/O, a bug).
	KindInternal Kind = iota
	// KindInvalid: the input is invalid; Error.Field names it.
	KindInvalid
	// KindNotFound: the domain, account, alias or queued message does not
	// exist.
	KindNotFound
	// KindExists: the request conflicts with what exists (a name taken).
	KindExists
	// KindUnavailable: a transient condition (the store busy or full, no
	// running server to ask); retry later.
	KindUnavailable
)

func (k Kind) String() string {
	if names := [...]string{"internal", "invalid", "not found", "exists", "unavailable"}; k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return "internal"
}

// HTTPStatus is the status code an HTTP API answers a failure of kind k
// with (RFC 9110 §15).
func (k Kind) HTTPStatus() int {
	switch k {
	case KindInvalid:
		return http.StatusBadRequest // RFC 9110 §15.5.1
	case KindNotFound:
		return http.StatusNotFound // §15.5.5
	case KindExists:
		return http.StatusConflict // §15.5.10
	case KindUnavailable:
		return http.StatusServiceUnavailable // §15.6.4
	}
	return http.StatusInternalServerError // §15.6.1
}

// Error is the error of every operation. Msg is written for an operator
// (no "store: op: kind:" prefix); it is not meant for a protocol wire.
type Error struct {
	Kind  Kind
	Field string // KindInvalid: the input at fault ("domain", "selector", ...), or ""
	Msg   string
	Err   error // the cause, or nil
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err: an *Error's, else KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// invalid is a KindInvalid error about field.
func invalid(field string, err error) error {
	return &Error{Kind: KindInvalid, Field: field, Msg: err.Error(), Err: err}
}

// Unavailable wraps err as KindUnavailable (for the Unlocker of a CLI when
// no server answers).
func Unavailable(err error) error {
	return &Error{Kind: KindUnavailable, Msg: err.Error(), Err: err}
}

// storeKind maps the store's error kinds to the operations' kinds.
func storeKind(k store.Kind) Kind {
	switch k {
	case store.KindNotFound:
		return KindNotFound
	case store.KindExists, store.KindModified:
		return KindExists
	case store.KindInvalid:
		return KindInvalid
	case store.KindTemporary, store.KindClosed, store.KindNoSpace, store.KindOverQuota:
		return KindUnavailable
	}
	return KindInternal
}

// wrap turns err into an *Error: a store error keeps its cause's text,
// without the "store: op: kind:" prefix; an *Error is returned as it is.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var se *store.Error
	if errors.As(err, &se) {
		return &Error{Kind: storeKind(se.Kind), Msg: Message(err), Err: err}
	}
	return &Error{Kind: KindInternal, Msg: err.Error(), Err: err}
}

// Message is the text of err for an operator: a store error's cause
// without the "store: op: kind:" prefix, else err.Error().
func Message(err error) string {
	var se *store.Error
	if errors.As(err, &se) {
		if se.Err != nil {
			return se.Err.Error()
		}
		return se.Kind.String()
	}
	return err.Error()
}
