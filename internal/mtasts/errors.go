package mtasts

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// The result types of RFC 8460 §4.3.2.1 that policy discovery can fail
// with.
const (
	// ResultFetchError: the policy could not be fetched (the policy host
	// unreachable, a status other than 200, a redirect, the wrong media
	// type, too large, too slow), or its TXT record could not be looked up.
	ResultFetchError = "sts-policy-fetch-error"
	// ResultPolicyInvalid: the policy file is not valid (RFC 8461 §3.2).
	ResultPolicyInvalid = "sts-policy-invalid"
	// ResultWebPKIInvalid: the policy host's certificate did not validate
	// (RFC 8461 §3.3).
	ResultWebPKIInvalid = "sts-webpki-invalid"
)

// Error is a failed policy discovery: its RFC 8460 result type and why.
// Its text is for the log; it never goes on the wire.
type Error struct {
	Domain string
	Result string // one of the Result constants
	Err    error
}

func (e *Error) Error() string {
	return "mta-sts " + e.Domain + ": " + e.Result + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ResultType is the RFC 8460 result type of an error of Lookup or Fetch
// ("sts-policy-fetch-error", ...), or "" for nil and for other errors.
func ResultType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Result
	}
	return ""
}

// fetchError classifies an error of the HTTPS fetch: a certificate that
// did not validate is sts-webpki-invalid, anything else a fetch error.
func fetchError(domain string, err error) *Error {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		host      x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	if errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &host) || errors.As(err, &invalid) {
		return &Error{Domain: domain, Result: ResultWebPKIInvalid, Err: err}
	}
	return &Error{Domain: domain, Result: ResultFetchError, Err: err}
}
