package ops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Time limits of the DNS operations: each DNS query (for the resolver the
// caller builds), and the whole plan or check.
const (
	DNSQueryTimeout   = 5 * time.Second
	DNSCommandTimeout = 2 * time.Minute
)

// Mailboxes tells local domains apart and whether an address takes mail
// (Directory).
type Mailboxes interface {
	LocalDomains
	Reaches(ctx context.Context, address string) (bool, error)
}

// DNS works out the records a domain publishes for this server and checks
// them against DNS (package dnsplan).
type DNS struct {
	srv     dnsplan.Server
	r       dnsplan.Lookup
	keys    *DKIM
	domains Mailboxes
}

// NewDNS returns the DNS operations for the server srv, asking DNS
// through r, with the keys of keys.
func NewDNS(srv dnsplan.Server, r dnsplan.Lookup, keys *DKIM, domains Mailboxes) *DNS {
	return &DNS{srv: srv, r: r, keys: keys, domains: domains}
}

// Plan is a domain's plan and the warnings that go with it.
type Plan struct {
	*dnsplan.Plan // nil when making it failed
	// HostnameNotFQDN: the configured host name has no dot, so others
	// cannot resolve it.
	HostnameNotFQDN bool
	// Local reports whether the domain is local; LocalErr says why that is
	// unknown.
	Local    bool
	LocalErr error
	// SkippedKeys are the key files left out, and why.
	SkippedKeys []error
	// NoReports is the address DMARC reports would have gone to, left
	// out of the record because it takes no mail; ReportsErr says why
	// that could not be told (the record then asks for none either).
	NoReports  string
	ReportsErr error
}

// Checked is a domain's plan and its comparison with DNS.
type Checked struct {
	Plan
	Report dnsplan.Report
}

// Plan works out the records of domain, with DMARC aggregate reports to
// reports ("" for postmaster@domain) when that address takes mail. The
// warnings of the result are set even when it fails.
func (s *DNS) Plan(ctx context.Context, domain, reports string) (Plan, error) {
	d, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return Plan{}, invalid("domain", err)
	}
	rua := "postmaster@" + d
	if reports != "" {
		// The local part as written: it may be case-sensitive elsewhere
		// (RFC 5321 §2.4).
		a, err := mailaddr.Parse(reports)
		if err == nil {
			a.Domain, err = mailaddr.CanonicalDomain(a.Domain)
		}
		if err != nil || a.Local == "" {
			return Plan{}, invalid("dmarc-reports", fmt.Errorf("%q is not an address", reports))
		}
		rua = a.String()
	}
	res := Plan{HostnameNotFQDN: !strings.Contains(strings.TrimSuffix(s.srv.Hostname, "."), ".")}
	res.Local, res.LocalErr = s.domains.IsLocalDomain(ctx, d)
	keys, err := s.keys.List(ctx, d)
	if err != nil {
		return res, err
	}
	res.SkippedKeys = keys.Skipped
	var recs []dnsplan.DKIMRecord
	for _, k := range keys.Keys {
		recs = append(recs, dnsplan.DKIMRecord{Name: k.Name, TXT: k.TXT, Role: k.Role, From: k.From, Replaces: k.Replaces})
	}
	ctx, cancel := context.WithTimeout(ctx, DNSCommandTimeout)
	defer cancel()
	res.Plan = dnsplan.New(ctx, s.srv, d, s.r, recs)
	switch rua, ok, err := s.takesMail(ctx, rua, reports != ""); {
	case err != nil:
		res.NoReports, res.ReportsErr = rua, err
	case !ok:
		res.NoReports = rua
	default:
		res.DMARCReports = rua
	}
	return res, nil
}

// takesMail reports whether DMARC reports to addr would be delivered: an
// address of a local domain must reach an account (Directory.Reaches); one
// elsewhere is the operator's word when named, and unknown otherwise (the
// postmaster of a domain that is not local here). A local address comes
// back in its canonical form.
func (s *DNS) takesMail(ctx context.Context, addr string, named bool) (string, bool, error) {
	_, dom, _ := strings.Cut(addr, "@")
	local, err := s.domains.IsLocalDomain(ctx, dom)
	switch {
	case err != nil:
		return addr, false, err
	case !local:
		return addr, named, nil
	}
	if c, err := canonicalAddress(addr); err == nil {
		addr = c
	}
	ok, err := s.domains.Reaches(ctx, addr)
	return addr, ok, err
}

// Check works out the records of domain and compares them with DNS.
// Both stay within one DNSCommandTimeout.
func (s *DNS) Check(ctx context.Context, domain, reports string) (Checked, error) {
	ctx, cancel := context.WithTimeout(ctx, DNSCommandTimeout)
	defer cancel()
	p, err := s.Plan(ctx, domain, reports)
	if err != nil {
		return Checked{Plan: p}, err
	}
	return Checked{Plan: p, Report: dnsplan.Check(ctx, p.Plan, s.r)}, nil
}
