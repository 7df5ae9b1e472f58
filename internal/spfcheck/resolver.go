package spfcheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"blitiri.com.ar/go/spf"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// adapter presents a Resolver as the library's spf.DNSResolver. The
// library tells "not found" from "try again" only through *net.DNSError
// (IsNotFound, Temporary()), so dnsr's kinds are converted: NXDOMAIN and
// NODATA become not found (a void lookup, RFC 7208 §4.6.4), everything
// else (SERVFAIL, timeouts, an expired context) temporary, which the
// library turns into temperror (RFC 7208 §5, §4.4).
type adapter struct{ r Resolver }

func (a adapter) LookupTXT(ctx context.Context, name string) ([]string, error) {
	name = fitName(name)
	txts, err := a.r.LookupTXT(ctx, name)
	if err != nil {
		return nil, dnsError(err, name)
	}
	// RFC 7208 §4.6: a syntax error anywhere in the record is a permerror.
	// The library passes an error that is not a *net.DNSError on as a
	// permerror with the error itself (which reasonOf reads).
	if recs := spfRecords(txts); len(recs) == 1 {
		if err := checkRecord(recs[0]); err != nil {
			return nil, err
		}
	}
	return txts, nil
}

func (a adapter) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	name = fitName(name)
	mxs, err := a.r.LookupMX(ctx, name)
	return mxs, dnsError(err, name)
}

// LookupIPAddr returns the A and AAAA records of host. A host that is an
// IP address is a name to look up like any other (RFC 7208 §5.3, §5.7:
// the target-name is a domain name), not an answer: "exists:%{i}" must
// not match every IPv4 client. Such a name has an all-numeric top label,
// which no domain has, so it is not found.
func (a adapter) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	host = fitName(host)
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil || host == "" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	addrs, err := a.r.LookupIP(ctx, host)
	if err != nil {
		return nil, dnsError(err, host)
	}
	out := make([]net.IPAddr, 0, len(addrs))
	for _, ip := range addrs {
		out = append(out, net.IPAddr{IP: net.IP(ip.Unmap().AsSlice())})
	}
	return out, nil
}

func (a adapter) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "not an address", Name: addr, IsNotFound: true}
	}
	names, err := a.r.LookupAddr(ctx, ip)
	return names, dnsError(err, addr)
}

// dnsError converts a Resolver error for the library (see adapter). Its
// text is fixed: DNS error text never reaches a Result.
func dnsError(err error, name string) error {
	if err == nil {
		return nil
	}
	if dnsr.IsNotFound(err) {
		return &net.DNSError{Err: "no such record", Name: name, IsNotFound: true}
	}
	return &net.DNSError{Err: "temporary failure", Name: name, IsTemporary: true}
}

// fitName shortens a name longer than 253 octets by removing labels on
// the left until it fits (RFC 7208 §7.3, for names built by macro
// expansion), and drops one trailing dot.
func fitName(name string) string {
	name = strings.TrimSuffix(name, ".")
	for len(name) > 253 {
		i := strings.IndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	return name
}

// spfRecords returns the TXT strings the library takes as SPF records:
// "v=spf1" alone or followed by a space, in any case (RFC 7208 §4.5).
func spfRecords(txts []string) []string {
	var out []string
	for _, t := range txts {
		if len(t) >= 6 && strings.EqualFold(t[:6], "v=spf1") && (len(t) == 6 || t[6] == ' ') {
			out = append(out, t)
		}
	}
	return out
}

// reasonOf returns the Reason for what the library returned. Only the
// library's sentinel errors and this package's syntax errors are read;
// DNS error text is never used.
func reasonOf(result spf.Result, err error) string {
	var se *syntaxError
	if errors.As(err, &se) {
		return "record syntax error: " + se.what
	}
	if r, ok := libReason(err); ok {
		if errors.Is(err, spf.ErrNoResult) && result == spf.PermError {
			return "include or redirect target has no SPF record"
		}
		return r
	}
	switch result {
	case spf.TempError:
		return "DNS lookup failed temporarily"
	case spf.Neutral:
		return "no term matched" // RFC 7208 §4.7: default result
	case spf.PermError:
		return "record error"
	}
	return string(result)
}

// libReason maps the library's errors to stable reasons.
func libReason(err error) (string, bool) {
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, spf.ErrMatchedAll):
		return "matched all", true
	case errors.Is(err, spf.ErrMatchedA):
		return "matched a", true
	case errors.Is(err, spf.ErrMatchedIP):
		return "matched ip", true
	case errors.Is(err, spf.ErrMatchedMX):
		return "matched mx", true
	case errors.Is(err, spf.ErrMatchedPTR):
		return "matched ptr", true
	case errors.Is(err, spf.ErrMatchedExists):
		return "matched exists", true
	case errors.Is(err, spf.ErrNoResult):
		return "no SPF record", true
	case errors.Is(err, spf.ErrMultipleRecords):
		return "multiple SPF records", true
	case errors.Is(err, spf.ErrLookupLimitReached):
		return "more than 10 DNS lookups", true
	case errors.Is(err, spf.ErrVoidLookupLimitReached):
		return "more than 2 void lookups", true
	case errors.Is(err, spf.ErrTooManyMXRecords):
		return "more than 10 MX records", true
	case errors.Is(err, spf.ErrUnknownField), errors.Is(err, spf.ErrInvalidIP),
		errors.Is(err, spf.ErrInvalidMask), errors.Is(err, spf.ErrInvalidMacro),
		errors.Is(err, spf.ErrInvalidDomain):
		return "record syntax error", true
	}
	return "", false
}
