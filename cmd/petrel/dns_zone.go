package main

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// zoneWriter prints zone-file lines (RFC 1035 §5.1): records with absolute
// names, comments after ";".
type zoneWriter struct {
	w io.Writer
}

// comment prints each line as a comment.
func (z zoneWriter) comment(lines ...string) {
	for _, l := range lines {
		fmt.Fprintf(z.w, "; %s\n", l)
	}
}

// record prints one record of class IN; note, if any, is a comment after it.
func (z zoneWriter) record(name, typ, data, note string) {
	if note != "" {
		data += " ; " + note
	}
	fmt.Fprintf(z.w, "%s. IN %s %s\n", name, typ, data)
}

// txt prints a TXT record, its value cut into character-strings of at
// most 255 octets (RFC 1035 §3.3.14, §3.3), which a reader joins into one
// value again (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
func (z zoneWriter) txt(name, value string) {
	parts := txtStrings(value)
	if len(parts) == 1 {
		z.record(name, "TXT", parts[0], "")
		return
	}
	z.record(name, "TXT", "( "+strings.Join(parts, "\n\t")+" )", "")
}

// txtStrings cuts value into quoted character-strings of at most 255
// octets each, escaping '"' and '\' and non-printable octets (RFC 1035
// §5.1).
func txtStrings(value string) []string {
	var out []string
	for {
		n := min(len(value), 255)
		var b strings.Builder
		b.WriteByte('"')
		for i := range n {
			switch c := value[i]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c > 0x7e:
				fmt.Fprintf(&b, "\\%03d", c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
		out = append(out, b.String())
		if value = value[n:]; value == "" {
			return out
		}
	}
}

// writeZone prints the records of p, with comments, ready to paste into a
// zone file.
func writeZone(w io.Writer, p *dnsPlan) {
	z := zoneWriter{w}
	name := p.domain
	if u := mailaddr.DisplayDomain(p.domain); u != p.domain {
		name = u + " (" + p.domain + ")"
	}
	z.comment("DNS records for "+name+", whose mail Petrel on "+p.host+" handles.",
		"Names are absolute (with the trailing dot); TXT values longer than 255",
		"octets are split into several strings, which DNS joins again.")
	fmt.Fprintln(w)
	z.comment("MX (RFC 5321 §5.1): mail for " + p.domain + " goes to " + p.host + ".")
	z.record(p.domain, "MX", fmt.Sprintf("%d %s.", mxPreference, p.host), "")
	fmt.Fprintln(w)
	writeAddrs(z, p)
	fmt.Fprintln(w)
	writeSPF(z, p)
	fmt.Fprintln(w)
	writeDKIM(z, p)
	fmt.Fprintln(w)
	z.comment("DMARC (RFC 7489 §6.3): report only (p=none) at first, with aggregate",
		"reports to postmaster@"+p.domain+". Once they show all of your mail",
		"passing SPF or DKIM, tighten to p=quarantine, then to p=reject.")
	z.txt("_dmarc."+p.domain, dmarcRecord(p.domain))
	fmt.Fprintln(w)
	writeSRV(z, p)
	fmt.Fprintln(w)
	writePTR(z, p)
}

// writeAddrs prints the address records of the host, or says which ones it
// needs when no public address is known.
func writeAddrs(z zoneWriter, p *dnsPlan) {
	z.comment("Addresses of the mail host " + p.host + ", from DNS and the listen addresses.")
	if !inZone(p.host, p.domain) {
		z.comment(p.host + " is not in " + p.domain + ": publish these in its own zone.")
	}
	if p.addrErr != nil {
		z.comment("Looking up " + p.host + " failed just now (" + dnsr.KindOf(p.addrErr).String() + ").")
	}
	var other []string
	for _, a := range p.addrs {
		if scope := addrScope(a.ip); scope != "" {
			other = append(other, a.describe(scope))
			continue
		}
		typ := "A"
		if a.ip.Is6() {
			typ = "AAAA"
		}
		z.record(p.host, typ, a.ip.String(), a.describe(""))
	}
	switch {
	case len(p.public()) == 0 && len(other) == 0:
		z.comment(p.host+" needs A (IPv4) and/or AAAA (IPv6) records with the public",
			"addresses of this server; none is known: "+p.host+" has no address records,",
			"and the listen addresses name none.")
	case len(p.public()) == 0:
		z.comment(p.host+" needs A (IPv4) and/or AAAA (IPv6) records with the public",
			"addresses of this server; the only ones known are not public:",
			strings.Join(other, ", ")+".")
	case len(other) > 0:
		z.comment("Not public, left out: " + strings.Join(other, ", ") + ".")
	}
}

// describe says where an address was seen, after its scope if any:
// "in DNS, listen.smtp", "loopback: listen.smtp".
func (a hostAddr) describe(scope string) string {
	var from []string
	if a.inDNS {
		from = append(from, "in DNS")
	}
	from = append(from, a.listen...)
	if scope == "" {
		return strings.Join(from, ", ")
	}
	return fmt.Sprintf("%s (%s: %s)", a.ip, scope, strings.Join(from, ", "))
}

// inZone reports whether name is domain or below it.
func inZone(name, domain string) bool {
	return name == domain || strings.HasSuffix(name, "."+domain)
}

func writeSPF(z zoneWriter, p *dnsPlan) {
	z.comment("SPF (RFC 7208): the hosts of "+p.domain+"'s MX records send its mail.",
		`"~all" rather than "-all": a receiver that refuses SPF failures before it`,
		"evaluates DMARC would lose mail forwarded to it that DKIM still",
		"authenticates (RFC 7489 §10.1); the DMARC policy below decides instead.")
	if p.relayhost != "" {
		z.comment("Mail leaves through the relay host "+p.relayhost+" (delivery.relayhost):",
			"add its addresses (ip4:, ip6:) or its provider's include: before ~all.")
	}
	z.txt(p.domain, spfRecord)
	fmt.Fprintln(z.w)
	z.comment("SPF of the host name (RFC 7208 §2.3): receivers check it for the HELO",
		"name, and for bounces, whose sender is empty (§2.4). Only this server uses",
		"the name, hence -all.")
	if !inZone(p.host, p.domain) {
		z.comment("Like the addresses, it belongs in the zone of " + p.host + ".")
	}
	z.txt(p.host, heloSPFRecord)
}

func writeDKIM(z zoneWriter, p *dnsPlan) {
	if len(p.dkim) == 0 {
		z.comment("DKIM: "+p.domain+" has no key yet. Run",
			"  petrel dkim generate "+p.domain,
			"then petrel dns "+p.domain+" again for its record.")
		return
	}
	z.comment("DKIM (RFC 6376 §3.6.1): the public key of each selector, newest first.")
	for _, k := range p.dkim {
		z.comment(k.selector() + ": " + k.role + ".")
		z.txt(k.name, k.txt)
	}
}

func writeSRV(z zoneWriter, p *dnsPlan) {
	z.comment("Client configuration (RFC 6186; _submissions: RFC 8314 §5.1): implicit TLS",
		`first, IMAP before POP3; "0 0 0 ." says the service is not offered (RFC 2782).`)
	for _, s := range p.services {
		name := s.label + "." + p.domain
		switch {
		case !s.on():
			z.record(name, "SRV", "0 0 0 .", "off: "+s.key+" is empty")
		case s.standard():
			z.record(name, "SRV", fmt.Sprintf("%d 1 %d %s.", s.priority, s.port, p.host), "")
		default:
			note := fmt.Sprintf("%s uses port %s: forward %d to it, or put %s in this record",
				s.key, joinPorts(s.ports), s.port, joinPorts(s.ports[:1]))
			z.record(name, "SRV", fmt.Sprintf("%d 1 %d %s.", s.priority, s.port, p.host), note)
		}
	}
}

// joinPorts lists ports: "2993" or "2993, 3993".
func joinPorts(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

func writePTR(z zoneWriter, p *dnsPlan) {
	pub := p.public()
	if len(pub) == 0 {
		z.comment("Reverse DNS: once "+p.host+" has public addresses, ask their provider",
			"for a PTR record naming "+p.host+" on each.")
		return
	}
	z.comment("Reverse DNS (PTR): not in your zone; whoever provides each address (your",
		"hosting provider) sets it. Receivers check that the address's name is",
		p.host+" and that it resolves back to the address (FCrDNS).")
	for _, ip := range pub {
		z.record(ptrName(ip), "PTR", p.host+".", "")
	}
}

// ptrName is the owner name of ip's PTR record, without the trailing dot.
func ptrName(ip netip.Addr) string { return strings.TrimSuffix(dnsr.ArpaName(ip), ".") }
