package dnsplan

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	StatusOK      Status = "OK"
	StatusMissing Status = "MISSING"
	StatusWrong   Status = "WRONG"
	StatusError   Status = "ERROR" // the lookup failed for now
)

// Lookup is what the checks ask of DNS.
type Lookup interface {
	dnsr.Resolver
	LookupSRV(ctx context.Context, name string) ([]*net.SRV, error)
}

// Result is one check: its outcome, the record type ("MX", "A/AAAA",
// "SPF", "DKIM", "DMARC", "SRV", "CNAME" (an alias of the host: client
// autoconfiguration), "MTA-STS", "POLICY" (the MTA-STS policy URL),
// "TLSRPT", "TLSA", "PTR"), the name checked and what was found, for the
// operator.
type Result struct {
	Status Status
	Kind   string
	Name   string
	Detail string
}

// Report is the outcome of every check of a plan, in the order of the plan.
type Report struct {
	Results []Result
}

// Count is the number of results with status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Failed is the number of checks that are not OK.
func (r Report) Failed() int { return len(r.Results) - r.Count(StatusOK) }

// checker runs one group of checks against a plan.
type checker struct {
	p       *Plan
	r       Lookup
	results []Result
}

// Check checks every record of p against DNS (through r). The checks run
// concurrently (an unreachable resolver costs one timeout, not one per
// record); their results come out in the order of the plan.
func Check(ctx context.Context, p *Plan, r Lookup) Report {
	groups := []func(c *checker){
		func(c *checker) { c.checkMX(ctx) },
		func(c *checker) { c.checkAddrs() },
		func(c *checker) { c.checkSPF(ctx, p.Domain, SPFRecord, false) },
		func(c *checker) { c.checkSPF(ctx, p.Host, HeloSPFRecord, true) },
		func(c *checker) { c.checkDKIM(ctx) },
		func(c *checker) { c.checkDMARC(ctx) },
	}
	groups = append(groups, autoconfigChecks(ctx, p)...)
	for _, s := range p.Services {
		groups = append(groups, func(c *checker) { c.checkSRV(ctx, s) })
	}
	groups = append(groups, tlsChecks(ctx, p, r)...)
	groups = append(groups, func(c *checker) { c.checkPTR(ctx) })
	parts := make([]*checker, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		parts[i] = &checker{p: p, r: r}
		wg.Go(func() { g(parts[i]) })
	}
	wg.Wait()
	var rep Report
	for _, c := range parts {
		rep.Results = append(rep.Results, c.results...)
	}
	return rep
}

// report adds one check's result.
func (c *checker) report(status Status, kind, name, format string, args ...any) {
	c.results = append(c.results, Result{Status: status, Kind: kind, Name: name, Detail: fmt.Sprintf(format, args...)})
}

// lookupFailed reports a failed lookup: MISSING when the name or its
// records do not exist, ERROR when DNS did not answer.
func (c *checker) lookupFailed(kind, name string, err error, want string) {
	if dnsr.IsNotFound(err) {
		c.report(StatusMissing, kind, name, "no record (%s); want %s", dnsr.KindOf(err), want)
		return
	}
	c.report(StatusError, kind, name, "lookup failed (%s); try again later", dnsr.KindOf(err))
}

// oneTXT returns the one TXT record at name that is of a kind (is); when
// there is none, or more than one (consequence says what follows), or
// the lookup failed, it reports so and ok is false.
func (c *checker) oneTXT(ctx context.Context, kind, name, want string, is func(string) bool, consequence string) (rec string, ok bool) {
	txts, err := c.r.LookupTXT(ctx, name)
	if err != nil {
		c.lookupFailed(kind, name, err, want)
		return "", false
	}
	recs := slices.DeleteFunc(slices.Clone(txts), func(txt string) bool { return !is(txt) })
	switch {
	case len(recs) == 0:
		c.report(StatusMissing, kind, name, "no %s record among %d TXT records; want %s", kind, len(txts), want)
		return "", false
	case len(recs) > 1:
		c.report(StatusWrong, kind, name, "%d %s records, %s; want exactly one", len(recs), kind, consequence)
		return "", false
	}
	return recs[0], true
}

// sameName compares DNS names, ignoring case and the trailing dot.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// checkMX: the MX records point at the host (RFC 5321 §5.1).
func (c *checker) checkMX(ctx context.Context) {
	want := fmt.Sprintf("%d %s.", MXPreference, c.p.Host)
	mxs, err := c.r.LookupMX(ctx, c.p.Domain)
	if err != nil {
		c.lookupFailed("MX", c.p.Domain, err, want)
		return
	}
	found := make([]string, len(mxs))
	for i, mx := range mxs {
		found[i] = fmt.Sprintf("%d %s", mx.Pref, mx.Host)
	}
	list := strings.Join(found, ", ")
	if len(mxs) == 1 && mxs[0].Host == "." {
		c.report(StatusWrong, "MX", c.p.Domain, "null MX (RFC 7505): the domain says it takes no mail; want %s", want)
		return
	}
	for _, mx := range mxs {
		if !sameName(mx.Host, c.p.Host) {
			continue
		}
		if mx.Pref > mxs[0].Pref {
			list += fmt.Sprintf(" (%s is a backup: senders try %s first)", c.p.Host, mxs[0].Host)
		}
		c.report(StatusOK, "MX", c.p.Domain, "%s", list)
		return
	}
	c.report(StatusWrong, "MX", c.p.Domain, "found %s; want %s", list, want)
}

// checkAddrs: the host name has address records, all of them public, and
// names the public addresses it listens on.
func (c *checker) checkAddrs() {
	const kind = "A/AAAA"
	host := c.p.Host
	if c.p.AddrErr != nil {
		c.lookupFailed(kind, host, c.p.AddrErr, "")
		return
	}
	var found, notPublic, missing []string
	for _, a := range c.p.Addrs {
		scope := AddrScope(a.IP)
		switch {
		case a.InDNS && scope != "":
			notPublic = append(notPublic, a.describe(scope))
			found = append(found, a.IP.String())
		case a.InDNS:
			found = append(found, a.IP.String())
		case scope == "":
			missing = append(missing, fmt.Sprintf("%s (%s)", a.IP, strings.Join(a.Listen, ", ")))
		}
	}
	switch {
	case len(found) == 0 && len(missing) > 0:
		c.report(StatusMissing, kind, host, "no address records; want %s", strings.Join(missing, ", "))
	case len(found) == 0:
		c.report(StatusMissing, kind, host, "no address records; want the public addresses of this server")
	case len(notPublic) > 0 || len(missing) > 0:
		var why []string
		if len(notPublic) > 0 {
			why = append(why, "not public: "+strings.Join(notPublic, ", "))
		}
		if len(missing) > 0 {
			why = append(why, "missing: "+strings.Join(missing, ", "))
		}
		c.report(StatusWrong, kind, host, "found %s; %s", strings.Join(found, ", "), strings.Join(why, "; "))
	default:
		c.report(StatusOK, kind, host, "%s", strings.Join(found, ", "))
	}
}

// checkSRV: a service that is on points at the host on its port; one that
// is off says so with the target "." (RFC 2782).
func (c *checker) checkSRV(ctx context.Context, s Service) {
	name := s.Label + "." + c.p.Domain
	want := fmt.Sprintf("%d 1 %d %s.", s.Priority, s.Port, c.p.Host)
	if !s.On() {
		want = "0 0 0 . (" + s.Key + " is empty)"
	}
	srvs, err := c.r.LookupSRV(ctx, name)
	if err != nil {
		c.lookupFailed("SRV", name, err, want)
		return
	}
	found := make([]string, len(srvs))
	for i, r := range srvs {
		found[i] = fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, r.Target)
	}
	list := strings.Join(found, ", ")
	if ok := slices.ContainsFunc(srvs, func(r *net.SRV) bool {
		if !s.On() {
			return r.Target == "."
		}
		return sameName(r.Target, c.p.Host) && (r.Port == s.Port || slices.Contains(s.Ports, r.Port))
	}); ok {
		c.report(StatusOK, "SRV", name, "%s", list)
		return
	}
	c.report(StatusWrong, "SRV", name, "found %s; want %s", list, want)
}

// checkPTR: each public address of the host has a PTR record naming the
// host, and the host name resolves back to the address (forward-confirmed
// reverse DNS).
func (c *checker) checkPTR(ctx context.Context) {
	host := c.p.Host
	pub := c.p.Public()
	if len(pub) == 0 {
		c.report(StatusMissing, "PTR", host, "no public address known, so no reverse DNS to check")
		return
	}
	for _, ip := range pub {
		names, err := c.r.LookupAddr(ctx, ip)
		if err != nil {
			c.lookupFailed("PTR", ip.String(), err, host+".")
			continue
		}
		list := strings.Join(names, ", ")
		switch {
		case !slices.ContainsFunc(names, func(n string) bool { return sameName(n, host) }):
			c.report(StatusWrong, "PTR", ip.String(), "found %s; want %s.", list, host)
		case !c.p.resolvesTo(ip):
			c.report(StatusWrong, "PTR", ip.String(), "found %s, but %s does not resolve to %s (not forward-confirmed)", list, host, ip)
		default:
			c.report(StatusOK, "PTR", ip.String(), "%s (forward-confirmed)", list)
		}
	}
}
