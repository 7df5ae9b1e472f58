package dnsplan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Record is one resource record of class IN.
type Record struct {
	Name  string // absolute, without the trailing dot
	Type  string // "MX", "TXT", ...
	Value string // the RDATA in zone-file syntax; for TXT the text itself, unquoted
	Note  string // a comment for the operator, or ""
}

// Line is one line of the zone text: a comment, a record, or (both
// empty) a blank line.
type Line struct {
	Comment string
	Record  *Record
}

// Records lists the records of lines, in order.
func Records(lines []Line) []Record {
	var out []Record
	for _, l := range lines {
		if l.Record != nil {
			out = append(out, *l.Record)
		}
	}
	return out
}

// Render prints lines as zone-file text (RFC 1035 §5.1): records with
// absolute names, comments after ";".
func Render(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		switch {
		case l.Record != nil:
			b.WriteString(renderRecord(*l.Record))
		case l.Comment != "":
			fmt.Fprintf(&b, "; %s\n", l.Comment)
		default:
			b.WriteString("\n")
		}
	}
	return b.String()
}

// renderRecord prints one record; a TXT value is cut into
// character-strings of at most 255 octets (RFC 1035 §3.3.14, §3.3), which
// a reader joins into one value again (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
func renderRecord(r Record) string {
	data := r.Value
	if r.Type == "TXT" {
		parts := txtStrings(r.Value)
		data = parts[0]
		if len(parts) > 1 {
			data = "( " + strings.Join(parts, "\n\t") + " )"
		}
	}
	if r.Note != "" {
		data += " ; " + r.Note
	}
	return fmt.Sprintf("%s. IN %s %s\n", r.Name, r.Type, data)
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

// zone collects the lines of a plan.
type zone struct{ lines []Line }

// comment adds each line as a comment.
func (z *zone) comment(lines ...string) {
	for _, l := range lines {
		z.lines = append(z.lines, Line{Comment: l})
	}
}

func (z *zone) blank() { z.lines = append(z.lines, Line{}) }

// record adds one record; note, if any, is a comment after it.
func (z *zone) record(name, typ, value, note string) {
	z.lines = append(z.lines, Line{Record: &Record{Name: name, Type: typ, Value: value, Note: note}})
}

// Lines are the records of p, with comments, ready to paste into a zone
// file (Render).
func (p *Plan) Lines() []Line {
	z := &zone{}
	name := p.Domain
	if u := mailaddr.DisplayDomain(p.Domain); u != p.Domain {
		name = u + " (" + p.Domain + ")"
	}
	z.comment("DNS records for "+name+", whose mail Petrel on "+p.Host+" handles.",
		"Names are absolute (with the trailing dot); TXT values longer than 255",
		"octets are split into several strings, which DNS joins again.")
	z.blank()
	z.comment("MX (RFC 5321 §5.1): mail for " + p.Domain + " goes to " + p.Host + ".")
	z.record(p.Domain, "MX", fmt.Sprintf("%d %s.", MXPreference, p.Host), "")
	z.blank()
	p.addrLines(z)
	z.blank()
	p.spfLines(z)
	z.blank()
	p.dkimLines(z)
	z.blank()
	p.dmarcLines(z)
	z.blank()
	p.autoconfigLines(z)
	p.srvLines(z)
	z.blank()
	p.tlsLines(z)
	z.blank()
	p.ptrLines(z)
	return z.lines
}

// dmarcLines adds the DMARC record, with reports to an address that takes
// mail, or none.
func (p *Plan) dmarcLines(z *zone) {
	rua := p.DMARCReports
	switch _, dom, _ := strings.Cut(rua, "@"); {
	case rua == "":
		z.comment("DMARC (RFC 7489 §6.3): report only (p=none) at first. No address here",
			"takes the aggregate reports yet (postmaster@"+p.Domain+" reaches no account):",
			"create one and run petrel dns again, or name one with --dmarc-reports.")
	case !strings.EqualFold(dom, p.Domain):
		z.comment("DMARC (RFC 7489 §6.3): report only (p=none) at first, with aggregate",
			"reports to "+rua+". "+dom+" must allow it (RFC 7489 §7.1), or receivers",
			"send none: publish "+p.Domain+"._report._dmarc."+dom+". IN TXT \"v=DMARC1\".")
	default:
		z.comment("DMARC (RFC 7489 §6.3): report only (p=none) at first, with aggregate",
			"reports to "+rua+".")
	}
	z.comment("Once the reports show all of your mail passing SPF or DKIM, tighten",
		"to p=quarantine, then to p=reject.")
	z.record("_dmarc."+p.Domain, "TXT", DMARCRecord(rua), "")
}

// addrLines adds the address records of the host, or says which ones it
// needs when no public address is known.
func (p *Plan) addrLines(z *zone) {
	z.comment("Addresses of the mail host " + p.Host + ", from DNS and the listen addresses.")
	if !inZone(p.Host, p.Domain) {
		z.comment(p.Host + " is not in " + p.Domain + ": publish these in its own zone.")
	}
	if p.AddrErr != nil {
		z.comment("Looking up " + p.Host + " failed just now (" + dnsr.KindOf(p.AddrErr).String() + ").")
	}
	var other []string
	for _, a := range p.Addrs {
		if scope := AddrScope(a.IP); scope != "" {
			other = append(other, a.describe(scope))
			continue
		}
		typ := "A"
		if a.IP.Is6() {
			typ = "AAAA"
		}
		z.record(p.Host, typ, a.IP.String(), a.describe(""))
	}
	switch {
	case len(p.Public()) == 0 && len(other) == 0:
		z.comment(p.Host+" needs A (IPv4) and/or AAAA (IPv6) records with the public",
			"addresses of this server; none is known: "+p.Host+" has no address records,",
			"and the listen addresses name none.")
	case len(p.Public()) == 0:
		z.comment(p.Host+" needs A (IPv4) and/or AAAA (IPv6) records with the public",
			"addresses of this server; the only ones known are not public:",
			strings.Join(other, ", ")+".")
	case len(other) > 0:
		z.comment("Not public, left out: " + strings.Join(other, ", ") + ".")
	}
}

// describe says where an address was seen, after its scope if any:
// "in DNS, listen.smtp", "loopback: listen.smtp".
func (a HostAddr) describe(scope string) string {
	var from []string
	if a.InDNS {
		from = append(from, "in DNS")
	}
	from = append(from, a.Listen...)
	if scope == "" {
		return strings.Join(from, ", ")
	}
	return fmt.Sprintf("%s (%s: %s)", a.IP, scope, strings.Join(from, ", "))
}

// inZone reports whether name is domain or below it.
func inZone(name, domain string) bool {
	return name == domain || strings.HasSuffix(name, "."+domain)
}

func (p *Plan) spfLines(z *zone) {
	z.comment("SPF (RFC 7208): the hosts of "+p.Domain+"'s MX records send its mail.",
		`"~all" rather than "-all": a receiver that refuses SPF failures before it`,
		"evaluates DMARC would lose mail forwarded to it that DKIM still",
		"authenticates (RFC 7489 §10.1); the DMARC policy below decides instead.")
	if p.Relayhost != "" {
		z.comment("Mail leaves through the relay host "+p.Relayhost+" (delivery.relayhost):",
			"add its addresses (ip4:, ip6:) or its provider's include: before ~all.")
	}
	z.record(p.Domain, "TXT", SPFRecord, "")
	z.blank()
	z.comment("SPF of the host name (RFC 7208 §2.3): receivers check it for the HELO",
		"name, and for bounces, whose sender is empty (§2.4). Only this server uses",
		"the name, hence -all.")
	if !inZone(p.Host, p.Domain) {
		z.comment("Like the addresses, it belongs in the zone of " + p.Host + ".")
	}
	z.record(p.Host, "TXT", HeloSPFRecord, "")
}

func (p *Plan) dkimLines(z *zone) {
	if len(p.DKIM) == 0 {
		z.comment("DKIM: "+p.Domain+" has no key yet. Run",
			"  petrel dkim generate "+p.Domain,
			"then petrel dns "+p.Domain+" again for its record.")
		return
	}
	z.comment("DKIM (RFC 6376 §3.6.1): the public key of each selector, newest first.")
	for _, k := range p.DKIM {
		z.comment(k.Selector() + ": " + k.roleText() + ".")
		z.record(k.Name, "TXT", k.TXT, "")
	}
}

func (p *Plan) srvLines(z *zone) {
	z.comment("Client configuration (RFC 6186; _submissions: RFC 8314 §5.1): implicit TLS",
		`first, IMAP before POP3; "0 0 0 ." says the service is not offered (RFC 2782).`)
	for _, s := range p.Services {
		name := s.Label + "." + p.Domain
		switch {
		case !s.On():
			z.record(name, "SRV", "0 0 0 .", "off: "+s.Key+" is empty")
		case s.standard():
			z.record(name, "SRV", fmt.Sprintf("%d 1 %d %s.", s.Priority, s.Port, p.Host), "")
		default:
			note := fmt.Sprintf("%s uses port %s: forward %d to it, or put %s in this record",
				s.Key, joinPorts(s.Ports), s.Port, joinPorts(s.Ports[:1]))
			z.record(name, "SRV", fmt.Sprintf("%d 1 %d %s.", s.Priority, s.Port, p.Host), note)
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

func (p *Plan) ptrLines(z *zone) {
	pub := p.Public()
	if len(pub) == 0 {
		z.comment("Reverse DNS: once "+p.Host+" has public addresses, ask their provider",
			"for a PTR record naming "+p.Host+" on each.")
		return
	}
	z.comment("Reverse DNS (PTR): not in your zone; whoever provides each address (your",
		"hosting provider) sets it. Receivers check that the address's name is",
		p.Host+" and that it resolves back to the address (FCrDNS).")
	for _, ip := range pub {
		z.record(ptrName(ip), "PTR", p.Host+".", "")
	}
}

// ptrName is the owner name of ip's PTR record, without the trailing dot.
func ptrName(ip netip.Addr) string { return strings.TrimSuffix(dnsr.ArpaName(ip), ".") }
