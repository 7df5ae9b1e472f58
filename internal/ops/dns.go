package ops

import (
	"context"
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

// DNS works out the records a domain publishes for this server and checks
// them against DNS (package dnsplan).
type DNS struct {
	srv     dnsplan.Server
	r       dnsplan.Lookup
	keys    *DKIM
	domains LocalDomains
}

// NewDNS returns the DNS operations for the server srv, asking DNS
// through r, with the keys of keys.
func NewDNS(srv dnsplan.Server, r dnsplan.Lookup, keys *DKIM, domains LocalDomains) *DNS {
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
}

// Checked is a domain's plan and its comparison with DNS.
type Checked struct {
	Plan
	Report dnsplan.Report
}

// Plan works out the records of domain. The warnings of the result are set
// even when it fails.
func (s *DNS) Plan(ctx context.Context, domain string) (Plan, error) {
	d, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return Plan{}, invalid("domain", err)
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
	return res, nil
}

// Check works out the records of domain and compares them with DNS.
// Both stay within one DNSCommandTimeout.
func (s *DNS) Check(ctx context.Context, domain string) (Checked, error) {
	ctx, cancel := context.WithTimeout(ctx, DNSCommandTimeout)
	defer cancel()
	p, err := s.Plan(ctx, domain)
	if err != nil {
		return Checked{Plan: p}, err
	}
	return Checked{Plan: p, Report: dnsplan.Check(ctx, p.Plan, s.r)}, nil
}
