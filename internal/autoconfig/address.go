package autoconfig

import (
	"errors"
	"net"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// MaxAddressLen bounds an address a client sends: a local part and a
// domain at their RFC 5321 §4.5.3.1.1 and §4.5.3.1.2 limits.
const MaxAddressLen = mailaddr.MaxLocalLen + 1 + mailaddr.MaxDomainLen

// Errors of the documents; the handler maps each to a status.
var (
	// ErrInvalidAddress: what the client sent is not an email address
	// with a domain name.
	ErrInvalidAddress = errors.New("autoconfig: not an email address")
	// ErrNotOffered: the listeners offer nothing the document can
	// describe (no incoming protocol, or no submission for a profile).
	ErrNotOffered = errors.New("autoconfig: no client protocol is on")
)

// ParseAddress checks an address a client sent (RFC 5321 §4.1.2 with RFC
// 6531 §3.3, at most MaxAddressLen octets, not an address literal) and
// returns it with its domain in canonical A-label form.
func ParseAddress(s string) (mailaddr.Address, error) {
	if len(s) > MaxAddressLen {
		return mailaddr.Address{}, ErrInvalidAddress
	}
	a, err := mailaddr.Parse(s)
	// A quoted local part may hold spaces and any text: the public
	// endpoints would serve a profile, under the server's own name, whose
	// title and description an anonymous requester wrote.
	if err != nil || a.IsLiteral() || !a.IsDotAtom() {
		return mailaddr.Address{}, ErrInvalidAddress
	}
	if a.Domain, err = mailaddr.CanonicalDomain(a.Domain); err != nil {
		return mailaddr.Address{}, ErrInvalidAddress
	}
	return a, nil
}

// hostDomain is the mail domain a request's Host names: the host without
// its port and without the autoconfig. or autodiscover. label clients put
// in front of the domain, in canonical form; "" when it is not a domain
// name.
func hostDomain(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if len(host) > mailaddr.MaxDomainLen {
		return ""
	}
	d, err := mailaddr.CanonicalDomain(host)
	if err != nil {
		return ""
	}
	for _, prefix := range []string{"autoconfig.", "autodiscover."} {
		if rest, ok := strings.CutPrefix(d, prefix); ok && strings.Contains(rest, ".") {
			return rest
		}
	}
	return d
}
