package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// DefaultACMEDirectory is Let's Encrypt's production directory.
const DefaultACMEDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// ACME configures certificates obtained and renewed by Petrel itself
// (RFC 8555; README "Certificates and transport security").
type ACME struct {
	// Enabled turns ACME on: a certificate for hostname and Names.
	Enabled bool `toml:"enabled"`
	// Directory is the URL of the CA's ACME directory.
	Directory string `toml:"directory"`
	// Email is the contact address of the ACME account ("" = none).
	Email string `toml:"email"`
	// Names are the names besides hostname to get certificates for.
	Names []string `toml:"names"`
	// CARoots is a PEM file of roots to trust for the directory's HTTPS
	// (a private CA); "" = the system's roots.
	CARoots string `toml:"ca_roots"`
}

func defaultACME() ACME {
	return ACME{Directory: DefaultACMEDirectory, Names: []string{}}
}

func (c *Config) validateACME(p *problems) {
	if v := c.TLS.MinVersion; v != "" && v != "1.2" && v != "1.3" { // "" = "1.2"
		p.add("tls.min_version", "%q: must be \"1.2\" or \"1.3\"", v)
	}
	a := &c.ACME
	if u, err := url.Parse(a.Directory); err != nil || u.Scheme != "https" || u.Host == "" {
		p.add("acme.directory", "%q: must be an https:// URL", a.Directory)
	}
	if a.Email != "" {
		if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
			p.add("acme.email", "%q: not a plain email address", a.Email)
		}
	}
	for i, n := range a.Names {
		if !validDomain(n) {
			p.add(fmt.Sprintf("acme.names[%d]", i), "%q is not a valid domain name", n)
		}
	}
	if a.Enabled && !strings.Contains(c.Hostname, ".") {
		p.add("acme.enabled", "hostname %q is not a public name a CA can validate", c.Hostname)
	}
	if a.Enabled && len(c.Listen.HTTPS) == 0 && len(c.Listen.HTTPACME) == 0 {
		p.add("acme.enabled", "needs listen.https (TLS-ALPN-01) or listen.http_acme (HTTP-01) for the CA's validation")
	}
}
