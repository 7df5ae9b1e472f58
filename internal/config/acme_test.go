package config

import (
	"slices"
	"testing"
)

func TestValidateACMEAndTLSKeys(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"tls 1.1", func(c *Config) { c.TLS.MinVersion = "1.1" }, []string{`tls.min_version: "1.1": must be "1.2" or "1.3"`}},
		{"acme without a challenge listener", func(c *Config) { c.Hostname, c.ACME.Enabled = "mail.example.org", true },
			[]string{"acme.enabled: needs listen.https (TLS-ALPN-01) or listen.http_acme (HTTP-01) for the CA's validation"}},
		{"acme for localhost", func(c *Config) { c.Hostname, c.ACME.Enabled, c.Listen.HTTPS = "localhost", true, []string{":443"} },
			[]string{`acme.enabled: hostname "localhost" is not a public name a CA can validate`}},
		{"plain http directory", func(c *Config) { c.ACME.Directory = "http://ca.example/dir" },
			[]string{`acme.directory: "http://ca.example/dir": must be an https:// URL`}},
		{"bad email", func(c *Config) { c.ACME.Email = "Ops <ops@example.org>" },
			[]string{`acme.email: "Ops <ops@example.org>": not a plain email address`}},
		{"bad name", func(c *Config) { c.ACME.Names = []string{"mta-sts.example.org", "*.example.org"} },
			[]string{`acme.names[1]: "*.example.org" is not a valid domain name`}},
		{"https clashes with http", func(c *Config) { c.Listen.HTTPS = []string{"127.0.0.1:2080"} },
			[]string{`listen.https[0]: "127.0.0.1:2080": already used by listen.http[0]`}},
	}
	for _, tt := range tests {
		c := Default()
		tt.change(c)
		var got []string
		for _, e := range c.Validate() {
			got = append(got, e.Error())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Validate() =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
	c := Default()
	c.Hostname = "mail.example.org"
	c.ACME = ACME{Enabled: true, Directory: "https://localhost:14000/dir", Email: "ops@example.org", Names: []string{"mta-sts.example.org"}}
	c.Listen.HTTPACME = []string{":80"}
	c.TLS.MinVersion = "1.3"
	if errs := c.Validate(); errs != nil {
		t.Errorf("valid ACME configuration refused: %v", errs)
	}
}
