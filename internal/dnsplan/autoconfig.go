package dnsplan

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// The records of client autoconfiguration (README "Client
// autoconfiguration"), proposed when listen.https is on: Thunderbird
// fetches https://autoconfig.DOMAIN/mail/config-v1.1.xml, Outlook
// https://autodiscover.DOMAIN/autodiscover/autodiscover.xml or the host
// and port of the _autodiscover._tcp SRV record (RFC 2782). Both names
// are aliases of the mail host, whose HTTPS listener serves the documents
// (package autoconfig).

// HTTPSPort is the port clients fetch autoconfiguration from.
const HTTPSPort = 443

// autoconfigNames are the names clients ask under domain, less any that
// is the mail host itself (which cannot be an alias of itself).
func (p *Plan) autoconfigNames() []string {
	var out []string
	for _, n := range []string{"autoconfig." + p.Domain, "autodiscover." + p.Domain} {
		if !sameName(n, p.Host) {
			out = append(out, n)
		}
	}
	return out
}

// autodiscoverService is Outlook's SRV record, as a Service of listen.https.
func (p *Plan) autodiscoverService() Service {
	return Service{Label: "_autodiscover._tcp", Key: "listen.https", Port: HTTPSPort, Ports: p.WebPorts}
}

// autoconfigLines adds the aliases and the SRV record when listen.https is
// on, and a blank line after them.
func (p *Plan) autoconfigLines(z *zone) {
	if len(p.WebPorts) == 0 {
		return
	}
	z.comment("Client autoconfiguration (README \"Client autoconfiguration\"): Thunderbird asks",
		"autoconfig."+p.Domain+", Outlook autodiscover."+p.Domain+" or the host of the SRV",
		"record, over HTTPS; listen.https on "+p.Host+" answers. Its certificate must name",
		"these names too, or clients refuse it.")
	for _, name := range p.autoconfigNames() {
		z.record(name, "CNAME", p.Host+".", "")
	}
	s := p.autodiscoverService()
	note := ""
	if !s.standard() {
		note = fmt.Sprintf("listen.https uses port %s: forward %d to it (the names above need %d)", joinPorts(s.Ports), HTTPSPort, HTTPSPort)
	}
	z.record(s.Label+"."+p.Domain, "SRV", fmt.Sprintf("0 1 %d %s.", HTTPSPort, p.Host), note)
	z.blank()
}

// autoconfigChecks are the checks of the autoconfiguration records, none
// when listen.https is off.
func autoconfigChecks(ctx context.Context, p *Plan) []func(c *checker) {
	if len(p.WebPorts) == 0 {
		return nil
	}
	var out []func(c *checker)
	for _, name := range p.autoconfigNames() {
		out = append(out, func(c *checker) { c.checkAlias(ctx, name) })
	}
	return append(out, func(c *checker) { c.checkSRV(ctx, p.autodiscoverService()) })
}

// checkAlias: name resolves to the host's addresses, through a CNAME to
// the host (what the plan proposes) or address records of its own.
func (c *checker) checkAlias(ctx context.Context, name string) {
	const kind = "CNAME"
	want := c.p.Host + "."
	ips, err := c.r.LookupIP(ctx, name)
	if err != nil {
		c.lookupFailed(kind, name, err, want)
		return
	}
	var found, stray []string
	for _, ip := range ips {
		found = append(found, ip.Unmap().String())
		if !c.p.resolvesTo(ip.Unmap()) {
			stray = append(stray, ip.Unmap().String())
		}
	}
	list := strings.Join(found, ", ")
	switch {
	case !slices.ContainsFunc(c.p.Addrs, func(a HostAddr) bool { return a.InDNS }):
		c.report(StatusOK, kind, name, "resolves to %s (%s has no address records to compare with)", list, c.p.Host)
	case len(stray) > 0:
		c.report(StatusWrong, kind, name, "resolves to %s, not all of them %s's; want CNAME %s", list, c.p.Host, want)
	default:
		c.report(StatusOK, kind, name, "resolves to %s, like %s", list, c.p.Host)
	}
}

// listenPorts returns the ports of listen addresses, each once.
func listenPorts(addrs []string) []uint16 {
	var out []uint16
	for _, hp := range addrs {
		_, port, err := net.SplitHostPort(hp)
		n, perr := strconv.ParseUint(port, 10, 16)
		if err == nil && perr == nil && !slices.Contains(out, uint16(n)) {
			out = append(out, uint16(n))
		}
	}
	return out
}
