package dnsplan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mtasts"
)

// TLSALookup is what the TLSA check asks of DNS. A Lookup that has it is
// asked; one without it leaves the TLSA record unchecked.
type TLSALookup interface {
	TLSARecords(ctx context.Context, port int, host string) ([]TLSA, error)
}

// PolicyFetcher fetches a domain's MTA-STS policy as senders do
// (*mtasts.Fetcher). A Lookup that has it checks the policy URL; one
// without it leaves the policy unchecked.
type PolicyFetcher interface {
	Fetch(ctx context.Context, domain string) (mtasts.Policy, error)
}

// tlsChecks are the check groups of the transport security records of p.
func tlsChecks(ctx context.Context, p *Plan, r Lookup) []func(c *checker) {
	var groups []func(c *checker)
	if p.STS != nil {
		groups = append(groups, func(c *checker) { c.checkSTSRecord(ctx) }, func(c *checker) { c.checkPolicyHost(ctx) })
		if f, ok := r.(PolicyFetcher); ok {
			groups = append(groups, func(c *checker) { c.checkPolicy(ctx, f) })
		}
	}
	if p.TLSRPT != "" {
		groups = append(groups, func(c *checker) { c.checkTLSRPT(ctx) })
	}
	if t, ok := r.(TLSALookup); ok && p.TLSA != nil {
		groups = append(groups, func(c *checker) { c.checkTLSA(ctx, t) })
	}
	return groups
}

// checkSTSRecord: one MTA-STS record (RFC 8461 §3.1) with the id of the
// policy served.
func (c *checker) checkSTSRecord(ctx context.Context) {
	name := "_mta-sts." + c.p.Domain
	want := fmt.Sprintf("%q", STSRecord(c.p.STS.ID))
	txt, ok := c.oneTXT(ctx, "MTA-STS", name, want, func(s string) bool { return strings.HasPrefix(s, "v=STSv1") },
		"so senders see no policy (RFC 8461 §3.1)")
	if !ok {
		return
	}
	rec, err := mtasts.ParseRecord(txt)
	switch {
	case err != nil:
		c.report(StatusWrong, "MTA-STS", name, "%q: %v, so senders see no policy; want %s", txt, err, want)
	case rec.ID != c.p.STS.ID:
		c.report(StatusWrong, "MTA-STS", name, "id %s, but the policy served now has id %s: senders that cached the old policy keep it; want %s", rec.ID, c.p.STS.ID, want)
	default:
		c.report(StatusOK, "MTA-STS", name, "%q", txt)
	}
}

// checkPolicyHost: mta-sts.DOMAIN resolves to addresses of the host.
func (c *checker) checkPolicyHost(ctx context.Context) {
	name := "mta-sts." + c.p.Domain
	want := "CNAME " + c.p.Host + "."
	ips, err := c.r.LookupIP(ctx, name)
	if err != nil {
		c.lookupFailed("A/AAAA", name, err, want)
		return
	}
	var found, other []string
	for _, ip := range ips {
		found = append(found, ip.String())
		if !slices.ContainsFunc(c.p.Addrs, func(a HostAddr) bool { return a.IP == ip.Unmap() }) {
			other = append(other, ip.String())
		}
	}
	if len(other) > 0 {
		c.report(StatusWrong, "A/AAAA", name, "found %s; %s not an address of %s; want %s", strings.Join(found, ", "), strings.Join(other, ", "), c.p.Host, want)
		return
	}
	c.report(StatusOK, "A/AAAA", name, "%s, addresses of %s", strings.Join(found, ", "), c.p.Host)
}

// checkPolicy: the policy URL serves, as senders fetch it (RFC 8461
// §3.3), the policy configured here.
func (c *checker) checkPolicy(ctx context.Context, f PolicyFetcher) {
	url := mtasts.PolicyURL(c.p.Domain)
	got, err := f.Fetch(ctx, c.p.Domain)
	var e *mtasts.Error
	if errors.As(err, &e) {
		c.report(StatusWrong, "POLICY", url, "senders cannot fetch it (%s): %v", e.Result, e.Err)
		return
	}
	if err != nil {
		c.report(StatusError, "POLICY", url, "fetching it failed: %v", err)
		return
	}
	if got.Text() != c.p.STS.Text() {
		c.report(StatusWrong, "POLICY", url, "serves mode %s, mx %s, max_age %d; want mode %s, mx %s, max_age %d (is it this server?)",
			got.Mode, strings.Join(got.MX, " "), int64(got.MaxAge.Seconds()),
			c.p.STS.Mode, strings.Join(c.p.STS.MX, " "), int64(c.p.STS.MaxAge.Seconds()))
		return
	}
	c.report(StatusOK, "POLICY", url, "mode %s, mx %s, max_age %d", got.Mode, strings.Join(got.MX, " "), int64(got.MaxAge.Seconds()))
}

// checkTLSRPT: one TLS reporting record (RFC 8460 §3) with the rua
// configured.
func (c *checker) checkTLSRPT(ctx context.Context) {
	name := "_smtp._tls." + c.p.Domain
	want := fmt.Sprintf("%q", TLSRPTRecord(c.p.TLSRPT))
	txt, ok := c.oneTXT(ctx, "TLSRPT", name, want, func(s string) bool { return strings.HasPrefix(s, "v=TLSRPTv1") },
		"so senders may send no reports")
	if !ok {
		return
	}
	var rua string
	for f := range strings.SplitSeq(txt, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(f), "rua="); ok {
			rua = v
		}
	}
	if strings.ReplaceAll(rua, " ", "") != strings.ReplaceAll(c.p.TLSRPT, " ", "") {
		c.report(StatusWrong, "TLSRPT", name, "%q; want %s", txt, want)
		return
	}
	c.report(StatusOK, "TLSRPT", name, "%q", txt)
}

// checkTLSA: a TLSA record at _25._tcp.HOST matches the key of the
// certificate in use (RFC 7672 §3.1.1).
func (c *checker) checkTLSA(ctx context.Context, t TLSALookup) {
	name := tlsaName(c.p.Host)
	want := *c.p.TLSA
	recs, err := t.TLSARecords(ctx, 25, c.p.Host)
	if err != nil {
		c.lookupFailed("TLSA", name, err, want.String())
		return
	}
	found := make([]string, len(recs))
	for i, r := range recs {
		found[i] = r.String()
	}
	list := strings.Join(found, ", ")
	if !slices.ContainsFunc(recs, func(r TLSA) bool {
		return r.Usage == want.Usage && r.Selector == want.Selector && r.MatchingType == want.MatchingType && bytes.Equal(r.Data, want.Data)
	}) {
		c.report(StatusWrong, "TLSA", name, "found %s; none matches the certificate in use: want %s (senders using DANE would defer all mail)", list, want)
		return
	}
	c.report(StatusOK, "TLSA", name, "%s (matches the certificate in use)", list)
}

// ClientTLSA is the TLSALookup of the resolver (dnsr.Client.LookupTLSA),
// what petrel dns check asks.
type ClientTLSA struct{ Client *dnsr.Client }

// TLSARecords returns the TLSA records of TCP port on host.
func (c ClientTLSA) TLSARecords(ctx context.Context, port int, host string) ([]TLSA, error) {
	recs, _, err := c.Client.LookupTLSA(ctx, port, host)
	if err != nil {
		return nil, err
	}
	out := make([]TLSA, len(recs))
	for i, r := range recs {
		out[i] = TLSA{Usage: r.Usage, Selector: r.Selector, MatchingType: r.MatchingType, Data: r.Data}
	}
	return out, nil
}
