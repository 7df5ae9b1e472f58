package dnsplan

import (
	"context"
	"crypto/x509"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mtasts"
)

// The records the plan proposes for every domain.
const (
	// MXPreference is the preference of the proposed MX record.
	MXPreference = 10
	// SPFRecord lets the domain's MX hosts send its mail (RFC 7208 §5.4),
	// with a softfail for the rest (§8.5): see the comment printed with
	// it and the README ("DNS records").
	SPFRecord = "v=spf1 mx ~all"
	// HeloSPFRecord is the record of the host name, the HELO identity
	// (RFC 7208 §2.3): its own addresses (§5.3) and nothing else.
	HeloSPFRecord = "v=spf1 a -all"
)

// DMARCRecord is the DMARC policy proposed: monitoring (RFC 7489 §6.3
// p=none), with aggregate reports (rua) to the address reports, or none
// when reports is "" (an address that bounces would only earn the
// receivers' bounces).
func DMARCRecord(reports string) string {
	if reports == "" {
		return "v=DMARC1; p=none"
	}
	return "v=DMARC1; p=none; rua=mailto:" + reports
}

// Plan is what one domain should publish for this server.
type Plan struct {
	Domain    string // A-label form, no trailing dot
	Host      string // the server's hostname, the MX host
	Addrs     []HostAddr
	AddrErr   error // looking up the host's addresses failed, other than "not found"
	Relayhost string
	DKIM      []DKIMRecord
	Services  []Service
	WebPorts  []uint16 // the ports of listen.https; none: no autoconfiguration records (autoconfig.go)
	// DMARCReports is the address the DMARC record asks receivers to
	// send aggregate reports to: one that takes mail (the caller checks),
	// or "" for a record without rua=. New leaves it "".
	DMARCReports string
	// SMTPOffPort25 lists listen.smtp when none of its addresses is on
	// port 25: other servers deliver to the MX (RFC 5321 §5.1) on the
	// SMTP port, 25, only, so something in front (a port redirect, a
	// proxy) must forward it.
	SMTPOffPort25 []string
	// STS is the MTA-STS policy served for the domain (its ID the hash
	// its record publishes), or nil for none.
	STS *mtasts.Policy
	// TLSRPT is the rua of the _smtp._tls record, or "" for none.
	TLSRPT string
	// TLSA is the DANE-EE record of the certificate in use, or nil when
	// none was found; CertSource says where the certificate comes from.
	TLSA       *TLSA
	CertSource CertSource
}

// HostAddr is one address of the mail host and where it was seen.
type HostAddr struct {
	IP     netip.Addr
	InDNS  bool     // the host name resolves to it now
	Listen []string // the listen keys naming it ("listen.smtp")
}

// KeyRole is what a DKIM key does in a rotation.
type KeyRole int

const (
	// KeySigns: the key signs now.
	KeySigns KeyRole = iota
	// KeyNext: the key signs from DKIMRecord.From in place of
	// DKIMRecord.Replaces, so its record must be out before then.
	KeyNext
	// KeyReplaced: a newer key has replaced it.
	KeyReplaced
)

// DKIMRecord is the DNS side of one DKIM key: where its record lives,
// what it says, and whether the key signs.
type DKIMRecord struct {
	Name     string // "sel._domainkey.example.org", without the trailing dot
	TXT      string // "v=DKIM1; k=rsa; p=..."
	Role     KeyRole
	From     time.Time // KeyNext: when it takes over
	Replaces string    // KeyNext: the selector it takes over from
}

// Selector is the selector of the record's name (RFC 6376 §3.6.2.1).
func (r DKIMRecord) Selector() string {
	sel, _, _ := strings.Cut(r.Name, "._domainkey.")
	return sel
}

// roleText says what the key does, for the operator.
func (r DKIMRecord) roleText() string {
	switch r.Role {
	case KeySigns:
		return "signs now"
	case KeyNext:
		return "signs from " + r.From.UTC().Format("2006-01-02 15:04 MST") +
			" in place of " + r.Replaces + ": publish it before then"
	}
	return "replaced by a newer key: keep the record a few days for mail in transit, then remove it and the key file"
}

// Public lists the addresses reachable from the Internet.
func (p *Plan) Public() []netip.Addr {
	var out []netip.Addr
	for _, a := range p.Addrs {
		if AddrScope(a.IP) == "" {
			out = append(out, a.IP)
		}
	}
	return out
}

// AddrScope says why an address cannot be the public address of a mail
// host ("loopback", "private", ...), or "" for a public one.
func AddrScope(ip netip.Addr) string {
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

// Service is one RFC 6186 client service and how this server offers it.
type Service struct {
	Label    string   // "_imaps._tcp"
	Key      string   // its listen key: "listen.imaps"
	Port     uint16   // the well-known port of the service
	Priority uint16   // SRV priority: implicit TLS first (RFC 8314 §5.1), IMAP before POP3 (RFC 6186 §3.4)
	Ports    []uint16 // the ports it listens on; none = off
}

// On reports whether the server offers the service.
func (s Service) On() bool { return len(s.Ports) > 0 }

// standard reports whether the service listens on its standard port.
func (s Service) standard() bool { return slices.Contains(s.Ports, s.Port) }

// mailServices lists the services of RFC 6186 and RFC 8314 in the order
// they are printed.
func mailServices(l config.Listen) []Service {
	out := []Service{
		{Label: "_submissions._tcp", Key: "listen.submissions", Port: 465, Priority: 0},
		{Label: "_submission._tcp", Key: "listen.submission", Port: 587, Priority: 10},
		{Label: "_imaps._tcp", Key: "listen.imaps", Port: 993, Priority: 0},
		{Label: "_imap._tcp", Key: "listen.imap", Port: 143, Priority: 10},
		{Label: "_pop3s._tcp", Key: "listen.pop3s", Port: 995, Priority: 20},
		{Label: "_pop3._tcp", Key: "listen.pop3", Port: 110, Priority: 30},
	}
	lists := [][]string{l.Submissions, l.Submission, l.IMAPS, l.IMAP, l.POP3S, l.POP3}
	for i, list := range lists {
		out[i].Ports = listenPorts(list)
	}
	// ManageSieve's SRV record (RFC 5804 §1.8), only when it is served:
	// RFC 6186's "not offered" records are for the mail services.
	if ports := listenPorts(l.ManageSieve); len(ports) > 0 {
		out = append(out, Service{Label: "_sieve._tcp", Key: "listen.managesieve", Port: 4190, Priority: 0, Ports: ports})
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

// offPort25 returns addrs when it is not empty and none is on port 25.
func offPort25(addrs []string) []string {
	for _, hp := range addrs {
		if _, port, err := net.SplitHostPort(hp); err == nil && port == "25" {
			return nil
		}
	}
	return slices.Clone(addrs)
}

// Server is what the plan needs of the configuration.
type Server struct {
	Hostname  string
	Relayhost string        // delivery.relayhost
	Listen    config.Listen // the listen addresses
	// STS is the MTA-STS policy served ([mta_sts]); its zero value
	// serves none.
	STS mtasts.ServeConfig
	// TLSRPT gives the rua of a domain's _smtp._tls record ([tls_rpt]
	// rua); nil or "" proposes none.
	TLSRPT func(domain string) string
	// Cert is the certificate in use, for the TLSA record (nil: none
	// found); CertSource says where it comes from.
	Cert       *x509.Certificate
	CertSource CertSource
}

// New works out the records of domain (A-label form, as
// mailaddr.CanonicalDomain returns it): the host's addresses from DNS
// (through r) and from the listen addresses, the services offered. dkim
// are the domain's DKIM records, newest key first.
func New(ctx context.Context, srv Server, domain string, r dnsr.Resolver, dkim []DKIMRecord) *Plan {
	p := &Plan{
		Domain:    domain,
		Host:      strings.ToLower(strings.TrimSuffix(srv.Hostname, ".")),
		Relayhost: srv.Relayhost,
		Services:  mailServices(srv.Listen),
		WebPorts:  listenPorts(srv.Listen.HTTPS),
		DKIM:      dkim,
	}
	p.SMTPOffPort25 = offPort25(srv.Listen.SMTP)
	if sts, ok := srv.STS.PolicyFor(domain); ok {
		p.STS = &sts
	}
	if srv.TLSRPT != nil {
		p.TLSRPT = srv.TLSRPT(domain)
	}
	if srv.Cert != nil {
		tlsa := DANEEE(srv.Cert)
		p.TLSA, p.CertSource = &tlsa, srv.CertSource
	}
	found := map[netip.Addr]*HostAddr{}
	add := func(ip netip.Addr) *HostAddr {
		if found[ip] == nil {
			found[ip] = &HostAddr{IP: ip}
		}
		return found[ip]
	}
	dnsAddrs, err := r.LookupIP(ctx, p.Host)
	if err != nil && !dnsr.IsNotFound(err) {
		p.AddrErr = err
	}
	for _, ip := range dnsAddrs {
		add(ip.Unmap()).InDNS = true
	}
	for ip, keys := range listenAddrs(srv.Listen) {
		add(ip).Listen = keys
	}
	for _, a := range found {
		p.Addrs = append(p.Addrs, *a)
	}
	slices.SortFunc(p.Addrs, func(a, b HostAddr) int { return a.IP.Compare(b.IP) })
	return p
}

// resolvesTo reports whether the host name resolves to ip.
func (p *Plan) resolvesTo(ip netip.Addr) bool {
	return slices.ContainsFunc(p.Addrs, func(a HostAddr) bool { return a.InDNS && a.IP == ip })
}
