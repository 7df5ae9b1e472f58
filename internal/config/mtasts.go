package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// MTASTS is the MTA-STS policy (RFC 8461) this server publishes for its
// domains at https://mta-sts.DOMAIN/.well-known/mta-sts.txt (README
// "Certificates and transport security").
type MTASTS struct {
	// Mode is the policy's mode: "enforce", "testing", "none", or "off"
	// for no policy (nothing served, no record proposed by petrel dns).
	Mode string `toml:"mode"`
	// MaxAge is the policy's max_age: how long senders keep it (at most
	// 31557600 s, RFC 8461 §3.2).
	MaxAge Duration `toml:"max_age"`
	// MX are the policy's mx patterns ("mx.example.org" or
	// "*.example.org"); empty means the hostname.
	MX []string `toml:"mx"`
	// DomainMode overrides Mode for some domains.
	DomainMode map[string]string `toml:"domain_mode"`
}

// mtastsModes are the values of mta_sts.mode and mta_sts.domain_mode.
var mtastsModes = []string{"enforce", "testing", "none", "off"}

func defaultMTASTS() MTASTS {
	return MTASTS{Mode: "testing", MaxAge: Duration(7 * day), MX: []string{}, DomainMode: map[string]string{}}
}

// MXNames are the mx patterns of the policy: MX, or the hostname.
func (c *Config) MXNames() []string {
	if len(c.MTASTS.MX) > 0 {
		return c.MTASTS.MX
	}
	return []string{c.Hostname}
}

func (m *MTASTS) validate(p *problems) {
	oneOf(p, "mta_sts.mode", m.Mode, mtastsModes...)
	if m.MaxAge < Duration(time.Second) || m.MaxAge > Duration(31557600*time.Second) || time.Duration(m.MaxAge)%time.Second != 0 {
		p.add("mta_sts.max_age", "%v: must be whole seconds from 1s to 31557600s (about a year, RFC 8461 §3.2)", m.MaxAge)
	}
	for i, mx := range m.MX {
		if !validDomain(strings.TrimPrefix(mx, "*.")) {
			p.add(fmt.Sprintf("mta_sts.mx[%d]", i), "%q is not a host name or *.domain", mx)
		}
	}
	domains := make([]string, 0, len(m.DomainMode))
	for d := range m.DomainMode {
		domains = append(domains, d)
	}
	slices.Sort(domains)
	for _, d := range domains {
		key := toml.Key{"mta_sts", "domain_mode", d}.String()
		if !validDomain(d) {
			p.add(key, "%q is not a valid domain name", d)
			continue
		}
		oneOf(p, key, m.DomainMode[d], mtastsModes...)
	}
}

func (r *TLSRPT) validateRUA(p *problems) {
	if r.RUA == "" {
		return
	}
	for uri := range strings.SplitSeq(r.RUA, ",") {
		uri = strings.TrimSpace(uri)
		addr, mailto := strings.CutPrefix(uri, "mailto:")
		switch {
		case mailto && strings.Count(addr, "@") == 1 && !strings.HasPrefix(addr, "@") && !strings.HasSuffix(addr, "@"):
		case strings.HasPrefix(uri, "https://") && len(uri) > len("https://"):
		default:
			p.add("tls_rpt.rua", "%q: want mailto:ADDRESS or https://URL, comma-separated (RFC 8460 §3)", uri)
		}
	}
}
