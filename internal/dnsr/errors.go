package dnsr

import (
	"errors"
	"fmt"
)

// Kind classifies a failed lookup.
type Kind int

const (
	// Temporary: no answer now (SERVFAIL, REFUSED, timeout, network
	// error); try again later (RFC 2308 §7).
	Temporary Kind = iota
	// NXDomain: the name does not exist (RCODE 3, RFC 1035 §4.1.1).
	NXDomain
	// NoData: the name exists but has no records of the type asked for
	// (RFC 2308 §2.2).
	NoData
)

func (k Kind) String() string {
	switch k {
	case NXDomain:
		return "no such domain"
	case NoData:
		return "no records"
	}
	return "temporary failure"
}

// Error is a failed lookup.
type Error struct {
	Kind Kind
	Name string // the name looked up
	Type string // record type: "MX", "A", ...
	Err  error  // the cause, if any (network error, RCODE)
}

func (e *Error) Error() string {
	s := fmt.Sprintf("dns %s %s: %s", e.Type, e.Name, e.Kind)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a lookup error; errors that are not *Error
// (a cancelled context, ...) are Temporary.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Temporary
}

// IsNotFound reports NXDOMAIN or no records of the type asked for.
func IsNotFound(err error) bool {
	k := KindOf(err)
	return err != nil && (k == NXDomain || k == NoData)
}

// IsTemporary reports a failure that may go away (SERVFAIL, timeout).
func IsTemporary(err error) bool { return err != nil && KindOf(err) == Temporary }
