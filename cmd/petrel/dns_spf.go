package main

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// checkSPF: exactly one SPF record (RFC 7208 §4.5), and it authorises
// every public address of the host to send for the domain.
func (c *dnsChecker) checkSPF(ctx context.Context) {
	want := strconv.Quote(spfRecord)
	// RFC 7208 §4.5: several records are a permerror.
	rec, ok := c.oneTXT(ctx, "SPF", c.p.domain, want, isSPF, "a permerror for every receiver (RFC 7208 §4.5)")
	if !ok {
		return
	}
	pub := c.p.public()
	if len(pub) == 0 {
		c.report(statusOK, "SPF", c.p.domain, "%q (no public address of %s known to check it with)", rec, c.p.host)
		return
	}
	var bad []string
	for _, ip := range pub {
		if res := c.spfResult(ctx, rec, ip); res != "pass" {
			bad = append(bad, fmt.Sprintf("%s for %s", res, ip))
		}
	}
	if len(bad) > 0 {
		c.report(statusWrong, "SPF", c.p.domain, "%q gives %s; want pass (e.g. %s)", rec, strings.Join(bad, ", "), want)
		return
	}
	c.report(statusOK, "SPF", c.p.domain, "%q passes %s", rec, joinAddrs(pub))
}

// isSPF reports whether a TXT record is an SPF record: "v=spf1" alone or
// followed by a space (RFC 7208 §4.5).
func isSPF(txt string) bool {
	return len(txt) >= 6 && strings.EqualFold(txt[:6], "v=spf1") && (len(txt) == 6 || txt[6] == ' ')
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}

// spfResult evaluates an SPF record of the domain for ip, as check_host()
// does (RFC 7208 §4.6) for the mechanisms that need no recursion: ip4,
// ip6 (§5.6), a (§5.3), mx (§5.4) and all (§5.1), without macros. At a
// term it cannot follow (include, exists, ptr, redirect, a macro) it gives
// "not checked (TERM)".
func (c *dnsChecker) spfResult(ctx context.Context, rec string, ip netip.Addr) string {
	results := map[byte]string{'+': "pass", '-': "fail", '~': "softfail", '?': "neutral"}
	for _, term := range strings.Fields(rec)[1:] {
		q := byte('+')
		if strings.IndexByte("+-~?", term[0]) >= 0 {
			q, term = term[0], term[1:]
		}
		match, ok := c.spfMatch(ctx, strings.ToLower(term), ip)
		if !ok {
			return "not checked (" + term + ")"
		}
		if match {
			return results[q]
		}
	}
	return "neutral" // no mechanism matched (RFC 7208 §4.7)
}

// spfMatch reports whether mechanism term matches ip; ok is false for a
// term spfResult does not follow. Modifiers other than redirect (exp=,
// unknown ones) never match (RFC 7208 §6).
func (c *dnsChecker) spfMatch(ctx context.Context, term string, ip netip.Addr) (match, ok bool) {
	if strings.Contains(term, "%") {
		return false, false
	}
	if i := strings.IndexAny(term, ":/="); i >= 0 && term[i] == '=' {
		return false, !strings.HasPrefix(term, "redirect=")
	}
	name, arg, _ := strings.Cut(term, ":")
	if name == "all" {
		return true, true
	}
	if name == "ip4" || name == "ip6" {
		prefix, err := netip.ParsePrefix(arg)
		if err != nil {
			addr, aerr := netip.ParseAddr(arg)
			prefix, err = addr.Prefix(addr.BitLen())
			if aerr != nil || err != nil {
				return false, true
			}
		}
		return prefix.Contains(ip), true
	}
	base, _, hasCIDR := strings.Cut(term, "/")
	if hasCIDR || (name != "a" && name != "mx") {
		return false, false
	}
	domain := c.p.domain
	if _, d, found := strings.Cut(base, ":"); found {
		domain = d
	}
	hosts := []string{domain}
	if name == "mx" {
		mxs, err := c.r.LookupMX(ctx, domain)
		if err != nil {
			return false, true
		}
		hosts = hosts[:0]
		for _, mx := range mxs {
			hosts = append(hosts, mx.Host)
		}
	}
	for _, h := range hosts {
		addrs, _ := c.r.LookupIP(ctx, h)
		for _, a := range addrs {
			if a.Unmap() == ip {
				return true, true
			}
		}
	}
	return false, true
}
