package main

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr"
)

// The records petrel dns proposes for every domain.
const (
	mxPreference = 10
	// spfRecord lets the domain's MX hosts send its mail (RFC 7208 §5.4),
	// with a softfail for the rest (§8.5): see the comment printed with
	// it and the README ("DNS records").
	spfRecord = "v=spf1 mx ~all"
	// heloSPFRecord is the record of the host name, the HELO identity
	// (RFC 7208 §2.3): its own addresses (§5.3) and nothing else.
	heloSPFRecord = "v=spf1 a -all"
)

// dmarcRecord is the DMARC policy proposed for domain: monitoring
// (RFC 7489 §6.3 p=none) with aggregate reports to its postmaster.
func dmarcRecord(domain string) string {
	return "v=DMARC1; p=none; rua=mailto:postmaster@" + domain
}

// dnsPlan is what one domain should publish for this server.
type dnsPlan struct {
	domain    string // A-label form, no trailing dot
	host      string // the server's hostname, the MX host
	addrs     []hostAddr
	addrErr   error // looking up the host's addresses failed, other than "not found"
	relayhost string
	dkim      []dkimRecord
	services  []mailService
}

// hostAddr is one address of the mail host and where it was seen.
type hostAddr struct {
	ip     netip.Addr
	inDNS  bool     // the host name resolves to it now
	listen []string // the listen keys naming it ("listen.smtp")
}

// public lists the addresses reachable from the Internet.
func (p *dnsPlan) public() []netip.Addr {
	var out []netip.Addr
	for _, a := range p.addrs {
		if addrScope(a.ip) == "" {
			out = append(out, a.ip)
		}
	}
	return out
}

// addrScope says why an address cannot be the public address of a mail
// host ("loopback", "private", ...), or "" for a public one.
func addrScope(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate(), netip.MustParsePrefix("100.64.0.0/10").Contains(ip): // RFC 1918, RFC 4193, RFC 6598
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case !ip.IsGlobalUnicast():
		return "not unicast"
	}
	return ""
}

// mailService is one RFC 6186 client service and how this server offers it.
type mailService struct {
	label    string   // "_imaps._tcp"
	key      string   // its listen key: "listen.imaps"
	port     uint16   // the well-known port of the service
	priority uint16   // SRV priority: implicit TLS first (RFC 8314 §5.1), IMAP before POP3 (RFC 6186 §3.4)
	ports    []uint16 // the ports it listens on; none = off
}

// on reports whether the server offers the service.
func (s mailService) on() bool { return len(s.ports) > 0 }

// standard reports whether the service listens on its standard port.
func (s mailService) standard() bool { return slices.Contains(s.ports, s.port) }

// mailServices lists the services of RFC 6186 and RFC 8314 in the order
// they are printed.
func mailServices(l config.Listen) []mailService {
	out := []mailService{
		{label: "_submissions._tcp", key: "listen.submissions", port: 465, priority: 0},
		{label: "_submission._tcp", key: "listen.submission", port: 587, priority: 10},
		{label: "_imaps._tcp", key: "listen.imaps", port: 993, priority: 0},
		{label: "_imap._tcp", key: "listen.imap", port: 143, priority: 10},
		{label: "_pop3s._tcp", key: "listen.pop3s", port: 995, priority: 20},
		{label: "_pop3._tcp", key: "listen.pop3", port: 110, priority: 30},
	}
	lists := [][]string{l.Submissions, l.Submission, l.IMAPS, l.IMAP, l.POP3S, l.POP3}
	for i, list := range lists {
		for _, hp := range list {
			_, port, err := net.SplitHostPort(hp)
			n, perr := strconv.ParseUint(port, 10, 16)
			if err == nil && perr == nil && !slices.Contains(out[i].ports, uint16(n)) {
				out[i].ports = append(out[i].ports, uint16(n))
			}
		}
	}
	return out
}

// listenAddrs returns the IP addresses the listeners name, with the keys
// naming each. Wildcards (":25", "0.0.0.0:25") and host names say nothing
// about the address and are left out.
func listenAddrs(l config.Listen) map[netip.Addr][]string {
	keys := []string{"smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s"}
	lists := [][]string{l.SMTP, l.Submission, l.Submissions, l.IMAP, l.IMAPS, l.POP3, l.POP3S}
	out := map[netip.Addr][]string{}
	for i, list := range lists {
		for _, hp := range list {
			host, _, err := net.SplitHostPort(hp)
			if err != nil {
				continue
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || ip.IsUnspecified() {
				continue
			}
			ip = ip.Unmap()
			if key := "listen." + keys[i]; !slices.Contains(out[ip], key) {
				out[ip] = append(out[ip], key)
			}
		}
	}
	return out
}

// newDNSPlan works out the records of domain: the host's addresses from
// DNS (through r) and from the listen addresses, the DKIM keys, the
// services offered.
func newDNSPlan(ctx context.Context, cfg *config.Config, domain string, r dnsr.Resolver, keys dkimKeys) (*dnsPlan, error) {
	p := &dnsPlan{
		domain:    domain,
		host:      strings.ToLower(strings.TrimSuffix(cfg.Hostname, ".")),
		relayhost: cfg.Delivery.Relayhost,
		services:  mailServices(cfg.Listen),
	}
	var err error
	if p.dkim, err = keys(domain); err != nil {
		return nil, err
	}
	found := map[netip.Addr]*hostAddr{}
	add := func(ip netip.Addr) *hostAddr {
		if found[ip] == nil {
			found[ip] = &hostAddr{ip: ip}
		}
		return found[ip]
	}
	dnsAddrs, err := r.LookupIP(ctx, p.host)
	if err != nil && !dnsr.IsNotFound(err) {
		p.addrErr = err
	}
	for _, ip := range dnsAddrs {
		add(ip.Unmap()).inDNS = true
	}
	for ip, keys := range listenAddrs(cfg.Listen) {
		add(ip).listen = keys
	}
	for _, a := range found {
		p.addrs = append(p.addrs, *a)
	}
	slices.SortFunc(p.addrs, func(a, b hostAddr) int { return a.ip.Compare(b.ip) })
	return p, nil
}
