package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Certificate usages, selectors and matching types (RFC 6698 §2.1, names
// of RFC 7218 §2).
const (
	UsageDANETA = 2
	UsageDANEEE = 3

	SelectorCert = 0
	SelectorSPKI = 1

	MatchFull   = 0
	MatchSHA256 = 1
	MatchSHA512 = 2
)

// Record is one TLSA record (RFC 6698 §2.1).
type Record struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// Usable reports whether r can authenticate an SMTP server (RFC 7672
// §3.1.3): usage DANE-TA or DANE-EE, a known selector and matching type,
// and a digest of the matching type's length.
func (r Record) Usable() bool {
	if r.Usage != UsageDANETA && r.Usage != UsageDANEEE {
		return false
	}
	if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
		return false
	}
	switch r.MatchingType {
	case MatchFull:
		return len(r.Data) > 0
	case MatchSHA256:
		return len(r.Data) == sha256.Size
	case MatchSHA512:
		return len(r.Data) == sha512.Size
	}
	return false
}

// Usable returns the usable records of recs (RFC 7672 §3.1.3). A TLSA
// RRset with records but none usable still obliges the client to TLS
// (RFC 7672 §2.2), without authentication.
func Usable(recs []Record) []Record {
	var out []Record
	for _, r := range recs {
		if r.Usable() {
			out = append(out, r)
		}
	}
	return out
}

// Association returns what a record of the selector and matching type
// holds for cert (RFC 6698 §2.1.2, §2.1.3).
func Association(cert *x509.Certificate, selector, matching uint8) ([]byte, error) {
	var part []byte
	switch selector {
	case SelectorCert:
		part = cert.Raw
	case SelectorSPKI:
		part = cert.RawSubjectPublicKeyInfo
	default:
		return nil, fmt.Errorf("dane: unknown selector %d", selector)
	}
	switch matching {
	case MatchFull:
		return bytes.Clone(part), nil
	case MatchSHA256:
		sum := sha256.Sum256(part)
		return sum[:], nil
	case MatchSHA512:
		sum := sha512.Sum512(part)
		return sum[:], nil
	}
	return nil, fmt.Errorf("dane: unknown matching type %d", matching)
}

// matches reports whether r's data is cert's association.
func (r Record) matches(cert *x509.Certificate) bool {
	data, err := Association(cert, r.Selector, r.MatchingType)
	return err == nil && bytes.Equal(data, r.Data)
}

// Errors of Verify, for the caller to tell apart (TLS-RPT result types).
var (
	// ErrNoUsable: none of the records is usable.
	ErrNoUsable = errors.New("no usable TLSA record")
	// ErrNoMatch: no usable record matches the chain.
	ErrNoMatch = errors.New("no TLSA record matches the server's certificate chain")
	// ErrNoCertificate: the server sent no certificate.
	ErrNoCertificate = errors.New("no server certificate")
)

// Error is a DANE-TA record that matched a certificate of the chain
// through which the leaf does not verify: expired, not for the names, or
// not signed by it.
type Error struct {
	Err error // *x509.CertificateInvalidError, x509.HostnameError, ...
}

func (e *Error) Error() string { return "DANE-TA: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Verify checks chain (the server's certificates, leaf first, as sent)
// against recs: nil when a usable DANE-EE record matches the leaf, or a
// usable DANE-TA record matches a certificate of the chain that the leaf
// verifies up to, at now, for one of names (RFC 7672 §3.2.3: the TLSA
// base domain, and the MX host name it was reached through when they
// differ). Without a match, ErrNoMatch, or an *Error saying why a TA
// match did not verify.
func Verify(recs []Record, chain []*x509.Certificate, names []string, now time.Time) error {
	usable := Usable(recs)
	switch {
	case len(usable) == 0:
		return ErrNoUsable
	case len(chain) == 0:
		return ErrNoCertificate
	}
	for _, r := range usable { // RFC 7672 §3.1.1: DANE-EE, the leaf only
		if r.Usage == UsageDANEEE && r.matches(chain[0]) {
			return nil
		}
	}
	var taErr error
	for _, r := range usable {
		if r.Usage != UsageDANETA {
			continue
		}
		for i, ta := range chain {
			if !r.matches(ta) {
				continue
			}
			err := verifyTA(chain, i, names, now)
			if err == nil {
				return nil
			}
			taErr = &Error{Err: err}
		}
	}
	if taErr != nil {
		return taErr
	}
	return ErrNoMatch
}

// verifyTA checks that the leaf verifies up to chain[ta] as the trust
// anchor (RFC 7672 §3.1.2: signatures and validity dates as for PKIX,
// with that anchor in place of the Web PKI's), and carries one of names
// (RFC 7672 §3.2.3).
func verifyTA(chain []*x509.Certificate, ta int, names []string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(chain[ta])
	inter := x509.NewCertPool()
	for _, c := range chain[1:max(ta, 1)] { // ta 0: the leaf is its own anchor
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := chain[0].Verify(opts); err != nil {
		return err
	}
	var nameErr error
	for _, n := range names {
		if nameErr = chain[0].VerifyHostname(n); nameErr == nil {
			return nil
		}
	}
	if nameErr == nil {
		nameErr = errors.New("no reference name to check the certificate against")
	}
	return nameErr
}

// VerifyConnection returns a tls.Config.VerifyConnection function that
// runs Verify on the chain the server sent, with now from clock (nil =
// time.Now). The tls.Config must have InsecureSkipVerify set (DANE, not
// the Web PKI, authenticates the server) and ServerName the TLSA base
// domain (RFC 7672 §8.1: SNI).
func VerifyConnection(recs []Record, names []string, clock func() time.Time) func(tls.ConnectionState) error {
	if clock == nil {
		clock = time.Now
	}
	return func(cs tls.ConnectionState) error {
		return Verify(recs, cs.PeerCertificates, names, clock())
	}
}
