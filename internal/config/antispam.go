package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dnslist"
)

// Antispam configures the screening of the MX's clients and greylisting
// (README "Spam and abuse"). Everything is off by default.
type Antispam struct {
	// PregreetWait is how long the MX keeps silent before its greeting;
	// a client that talks meanwhile, or pipelines behind HELO/EHLO, is
	// refused (554 5.5.1). 0 = off. A client that passed is not made to
	// wait again for PregreetTTL.
	PregreetWait Duration `toml:"pregreet_wait"`
	PregreetTTL  Duration `toml:"pregreet_ttl"`
	// DNSBL and DNSWL are DNS lists, "zone[=pattern][*weight]" (weights
	// for DNSBL only); a client whose DNSBL weights reach DNSBLThreshold
	// is refused at RCPT (554 5.7.1) unless a DNSWL lists it.
	// DNSTimeout bounds the lookups of one client, all lists together.
	DNSBL          []string `toml:"dnsbl"`
	DNSWL          []string `toml:"dnswl"`
	DNSBLThreshold int      `toml:"dnsbl_threshold"`
	DNSTimeout     Duration `toml:"dns_timeout"`
	// ConnectionRate, MessageRate and RecipientRate bound what one
	// client address (IPv4, IPv6 /64) may do per minute on the MX: 421
	// 4.7.0 at connect, 451 4.7.1 at MAIL and RCPT beyond. 0 = no limit.
	ConnectionRate int `toml:"connection_rate"`
	MessageRate    int `toml:"message_rate"`
	RecipientRate  int `toml:"recipient_rate"`
	// Greylist is greylisting on the MX.
	Greylist Greylist `toml:"greylist"`
}

// Greylist configures greylisting (RFC 6647) of mail on the MX, shared by
// the nodes of one store.
type Greylist struct {
	Enabled bool `toml:"enabled"`
	// Delay is how long a new (client network, sender, recipient)
	// triplet is refused with 451 4.7.1; a retry within RetryWindow after
	// it passes. A triplet that passed, and the sender's domain from that
	// network, are known for Expiry after they were last seen.
	Delay       Duration `toml:"delay"`
	RetryWindow Duration `toml:"retry_window"`
	Expiry      Duration `toml:"expiry"`
	// ExemptDomains: mail for which SPF or DKIM passes for one of these
	// domains (".example.org" for its subdomains, "*" for any) is not
	// greylisted.
	ExemptDomains []string `toml:"exempt_domains"`
}

func defaultAntispam() Antispam {
	return Antispam{PregreetTTL: Duration(day), DNSBL: []string{}, DNSWL: []string{}, DNSBLThreshold: 1,
		DNSTimeout: Duration(2 * time.Second),
		Greylist: Greylist{Delay: Duration(5 * time.Minute), RetryWindow: Duration(day), Expiry: Duration(35 * day),
			ExemptDomains: []string{}}}
}

// Screening reports whether any screening of the MX is on.
func (a *Antispam) Screening() bool {
	return a.PregreetWait > 0 || len(a.DNSBL)+len(a.DNSWL) > 0 || a.ConnectionRate > 0 || a.MessageRate > 0 || a.RecipientRate > 0
}

// Lists parses DNSBL and DNSWL (valid after Validate).
func (a *Antispam) Lists() (bl, wl []dnslist.List) {
	for _, s := range a.DNSBL {
		l, _ := dnslist.Parse(s, true)
		bl = append(bl, l)
	}
	for _, s := range a.DNSWL {
		l, _ := dnslist.Parse(s, false)
		wl = append(wl, l)
	}
	return bl, wl
}

func (a *Antispam) validate(p *problems) {
	if a.PregreetWait < 0 || a.PregreetWait > Duration(time.Minute) {
		p.add("antispam.pregreet_wait", "%v: must be from 0s (off) to 1m", a.PregreetWait)
	}
	positive(p, "antispam.pregreet_ttl", a.PregreetTTL)
	for i, s := range a.DNSBL {
		if _, err := dnslist.Parse(s, true); err != nil {
			p.add(fmt.Sprintf("antispam.dnsbl[%d]", i), "%q: %v (want zone[=pattern][*weight])", s, err)
		}
	}
	for i, s := range a.DNSWL {
		if _, err := dnslist.Parse(s, false); err != nil {
			p.add(fmt.Sprintf("antispam.dnswl[%d]", i), "%q: %v (want zone[=pattern])", s, err)
		}
	}
	positive(p, "antispam.dnsbl_threshold", a.DNSBLThreshold)
	if a.DNSTimeout <= 0 || a.DNSTimeout > Duration(time.Minute) {
		p.add("antispam.dns_timeout", "%v: must be from 1ms to 1m", a.DNSTimeout)
	}
	for key, v := range map[string]int{"connection_rate": a.ConnectionRate, "message_rate": a.MessageRate, "recipient_rate": a.RecipientRate} {
		if v < 0 {
			p.add("antispam."+key, "%d: must be 0 (no limit) or more", v)
		}
	}
	g := &a.Greylist
	positive(p, "antispam.greylist.delay", g.Delay)
	positive(p, "antispam.greylist.retry_window", g.RetryWindow)
	if g.Expiry <= g.Delay+g.RetryWindow {
		p.add("antispam.greylist.expiry", "%v: must be longer than delay plus retry_window", g.Expiry)
	}
	for i, d := range g.ExemptDomains {
		if d != "*" && !validDomain(strings.TrimPrefix(d, ".")) {
			p.add(fmt.Sprintf("antispam.greylist.exempt_domains[%d]", i), "%q: want a domain, .domain (its subdomains) or *", d)
		}
	}
}
