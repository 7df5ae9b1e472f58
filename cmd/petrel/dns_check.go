package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// Outcomes of one check of petrel dns check.
const (
	statusOK      = "OK"
	statusMissing = "MISSING"
	statusWrong   = "WRONG"
	statusError   = "ERROR" // the lookup failed for now
)

// dnsChecker compares what DNS says with a plan, one line per check.
type dnsChecker struct {
	p      *dnsPlan
	r      dnsLookup
	w      io.Writer
	counts map[string]int // checks by status
}

// checkDNS checks every record of p and prints one line per check; an
// error (exit status 1) when any is not OK. The checks run concurrently
// (an unreachable resolver costs one timeout, not one per record); their
// lines come out in the order of the plan.
func checkDNS(ctx context.Context, w io.Writer, p *dnsPlan, r dnsLookup) error {
	groups := []func(c *dnsChecker){
		func(c *dnsChecker) { c.checkMX(ctx) },
		func(c *dnsChecker) { c.checkAddrs() },
		func(c *dnsChecker) { c.checkSPF(ctx, p.domain, spfRecord, false) },
		func(c *dnsChecker) { c.checkSPF(ctx, p.host, heloSPFRecord, true) },
		func(c *dnsChecker) { c.checkDKIM(ctx) },
		func(c *dnsChecker) { c.checkDMARC(ctx) },
	}
	for _, s := range p.services {
		groups = append(groups, func(c *dnsChecker) { c.checkSRV(ctx, s) })
	}
	groups = append(groups, func(c *dnsChecker) { c.checkPTR(ctx) })
	parts := make([]*dnsChecker, len(groups))
	bufs := make([]bytes.Buffer, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		parts[i] = &dnsChecker{p: p, r: r, w: &bufs[i], counts: map[string]int{}}
		wg.Go(func() { g(parts[i]) })
	}
	wg.Wait()
	counts := map[string]int{}
	for i, c := range parts {
		w.Write(bufs[i].Bytes())
		for status, n := range c.counts {
			counts[status] += n
		}
	}
	bad := counts[statusMissing] + counts[statusWrong] + counts[statusError]
	if bad == 0 {
		return nil
	}
	return &cliError{code: exitFail, lines: []string{fmt.Sprintf(
		"dns check %s: %d of %d checks failed (%d missing, %d wrong, %d lookup errors)",
		p.domain, bad, bad+counts[statusOK], counts[statusMissing], counts[statusWrong], counts[statusError])}}
}

// report prints one check's line: status, record type, name, details.
func (c *dnsChecker) report(status, kind, name, format string, args ...any) {
	c.counts[status]++
	fmt.Fprintf(c.w, "%-7s %-6s %s: %s\n", status, kind, name, fmt.Sprintf(format, args...))
}

// lookupFailed reports a failed lookup: MISSING when the name or its
// records do not exist, ERROR when DNS did not answer.
func (c *dnsChecker) lookupFailed(kind, name string, err error, want string) {
	if dnsr.IsNotFound(err) {
		c.report(statusMissing, kind, name, "no record (%s); want %s", dnsr.KindOf(err), want)
		return
	}
	c.report(statusError, kind, name, "lookup failed (%s); try again later", dnsr.KindOf(err))
}

// oneTXT returns the one TXT record at name that is of a kind (is); when
// there is none, or more than one (consequence says what follows), or
// the lookup failed, it reports so and ok is false.
func (c *dnsChecker) oneTXT(ctx context.Context, kind, name, want string, is func(string) bool, consequence string) (rec string, ok bool) {
	txts, err := c.r.LookupTXT(ctx, name)
	if err != nil {
		c.lookupFailed(kind, name, err, want)
		return "", false
	}
	recs := slices.DeleteFunc(slices.Clone(txts), func(txt string) bool { return !is(txt) })
	switch {
	case len(recs) == 0:
		c.report(statusMissing, kind, name, "no %s record among %d TXT records; want %s", kind, len(txts), want)
		return "", false
	case len(recs) > 1:
		c.report(statusWrong, kind, name, "%d %s records, %s; want exactly one", len(recs), kind, consequence)
		return "", false
	}
	return recs[0], true
}

// sameName compares DNS names, ignoring case and the trailing dot.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// checkMX: the MX records point at the host (RFC 5321 §5.1).
func (c *dnsChecker) checkMX(ctx context.Context) {
	want := fmt.Sprintf("%d %s.", mxPreference, c.p.host)
	mxs, err := c.r.LookupMX(ctx, c.p.domain)
	if err != nil {
		c.lookupFailed("MX", c.p.domain, err, want)
		return
	}
	found := make([]string, len(mxs))
	for i, mx := range mxs {
		found[i] = fmt.Sprintf("%d %s", mx.Pref, mx.Host)
	}
	list := strings.Join(found, ", ")
	if len(mxs) == 1 && mxs[0].Host == "." {
		c.report(statusWrong, "MX", c.p.domain, "null MX (RFC 7505): the domain says it takes no mail; want %s", want)
		return
	}
	for _, mx := range mxs {
		if !sameName(mx.Host, c.p.host) {
			continue
		}
		if mx.Pref > mxs[0].Pref {
			list += fmt.Sprintf(" (%s is a backup: senders try %s first)", c.p.host, mxs[0].Host)
		}
		c.report(statusOK, "MX", c.p.domain, "%s", list)
		return
	}
	c.report(statusWrong, "MX", c.p.domain, "found %s; want %s", list, want)
}

// checkAddrs: the host name has address records, all of them public, and
// names the public addresses it listens on.
func (c *dnsChecker) checkAddrs() {
	const kind = "A/AAAA"
	host := c.p.host
	if c.p.addrErr != nil {
		c.lookupFailed(kind, host, c.p.addrErr, "")
		return
	}
	var found, notPublic, missing []string
	for _, a := range c.p.addrs {
		scope := addrScope(a.ip)
		switch {
		case a.inDNS && scope != "":
			notPublic = append(notPublic, a.describe(scope))
			found = append(found, a.ip.String())
		case a.inDNS:
			found = append(found, a.ip.String())
		case scope == "":
			missing = append(missing, fmt.Sprintf("%s (%s)", a.ip, strings.Join(a.listen, ", ")))
		}
	}
	switch {
	case len(found) == 0 && len(missing) > 0:
		c.report(statusMissing, kind, host, "no address records; want %s", strings.Join(missing, ", "))
	case len(found) == 0:
		c.report(statusMissing, kind, host, "no address records; want the public addresses of this server")
	case len(notPublic) > 0 || len(missing) > 0:
		var why []string
		if len(notPublic) > 0 {
			why = append(why, "not public: "+strings.Join(notPublic, ", "))
		}
		if len(missing) > 0 {
			why = append(why, "missing: "+strings.Join(missing, ", "))
		}
		c.report(statusWrong, kind, host, "found %s; %s", strings.Join(found, ", "), strings.Join(why, "; "))
	default:
		c.report(statusOK, kind, host, "%s", strings.Join(found, ", "))
	}
}

// checkSRV: a service that is on points at the host on its port; one that
// is off says so with the target "." (RFC 2782).
func (c *dnsChecker) checkSRV(ctx context.Context, s mailService) {
	name := s.label + "." + c.p.domain
	want := fmt.Sprintf("%d 1 %d %s.", s.priority, s.port, c.p.host)
	if !s.on() {
		want = "0 0 0 . (" + s.key + " is empty)"
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
		if !s.on() {
			return r.Target == "."
		}
		return sameName(r.Target, c.p.host) && (r.Port == s.port || slices.Contains(s.ports, r.Port))
	}); ok {
		c.report(statusOK, "SRV", name, "%s", list)
		return
	}
	c.report(statusWrong, "SRV", name, "found %s; want %s", list, want)
}

// checkPTR: each public address of the host has a PTR record naming the
// host, and the host name resolves back to the address (forward-confirmed
// reverse DNS).
func (c *dnsChecker) checkPTR(ctx context.Context) {
	host := c.p.host
	pub := c.p.public()
	if len(pub) == 0 {
		c.report(statusMissing, "PTR", host, "no public address known, so no reverse DNS to check")
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
			c.report(statusWrong, "PTR", ip.String(), "found %s; want %s.", list, host)
		case !c.p.resolvesTo(ip):
			c.report(statusWrong, "PTR", ip.String(), "found %s, but %s does not resolve to %s (not forward-confirmed)", list, host, ip)
		default:
			c.report(statusOK, "PTR", ip.String(), "%s (forward-confirmed)", list)
		}
	}
}

// resolvesTo reports whether the host name resolves to ip.
func (p *dnsPlan) resolvesTo(ip netip.Addr) bool {
	return slices.ContainsFunc(p.addrs, func(a hostAddr) bool { return a.inDNS && a.ip == ip })
}
