package config

import (
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// TLSRPT configures the TLS reports (RFC 8460) Petrel sends about its
// outbound sessions (internal/tlsrpt; README "TLS reporting (TLS-RPT)").
type TLSRPT struct {
	// Enabled turns on the daily reports to the domains that ask for
	// them in an _smtp._tls record.
	Enabled bool `toml:"enabled"`
	// From sends the reports: "" = tlsrpt-noreply@ the host name. Its
	// domain needs a DKIM key for the reports to be signed.
	From string `toml:"from"`
	// Organization is the reports' organization-name ("" = the host
	// name); Contact their contact-info ("" = From).
	Organization string `toml:"organization"`
	Contact      string `toml:"contact"`
	// RUA is where the _smtp._tls record that petrel dns proposes asks
	// other servers to send their reports about us: "mailto:" or
	// "https:" URIs, comma-separated (RFC 8460 §3); "" means
	// mailto:tlsrpt@DOMAIN.
	RUA string `toml:"rua"`
}

func (t *TLSRPT) validate(p *problems) {
	t.validateRUA(p)
	if t.From != "" {
		if a, err := mailaddr.Parse(t.From); err != nil || a.IsZero() || !a.IsASCII() {
			p.add("tls_rpt.from", "%q is not a valid ASCII address", t.From)
		}
	}
	for _, kv := range [][2]string{{"tls_rpt.organization", t.Organization}, {"tls_rpt.contact", t.Contact}} {
		if strings.ContainsFunc(kv[1], func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			p.add(kv[0], "must not contain control characters")
		}
	}
}
