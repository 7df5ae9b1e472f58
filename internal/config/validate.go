package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Validate reports every invalid value in c, one *Error per problem, each
// naming its key. It returns nil for a valid configuration.
func (c *Config) Validate() []error {
	var p problems
	if c.Hostname == "" {
		p.add("hostname", "must not be empty")
	} else if !validDomain(c.Hostname) {
		p.add("hostname", "%q is not a valid domain name (letters, digits and hyphens; xn-- form for international names)", c.Hostname)
	}
	if c.DataDir == "" {
		p.add("data_dir", "must not be empty")
	}
	c.Listen.validate(&p)
	c.TLS.validate(&p)
	c.validateACME(&p)
	c.Storage.validate(&p)
	c.SMTP.validate(&p)
	c.IMAP.validate(&p)
	c.POP3.validate(&p)
	c.ManageSieve.validate(&p)
	c.validateLimits(&p)
	c.DNS.validate(&p)
	c.Delivery.validate(&p)
	c.DKIM.validate(&p)
	c.DMARC.validate(&p)
	c.SRS.validate(&p)
	c.TLSRPT.validate(&p)
	c.Log.validate(&p)
	c.MTASTS.validate(&p)
	c.HTTP.validate(&p)
	c.Rspamd.validate(&p)
	c.SendLimits.validate(&p)
	c.Antispam.validate(&p)
	c.Sieve.validate(&p)
	if len(p) == 0 {
		return nil
	}
	return p
}

// NamedAddrs is one listener list with its key in [listen].
type NamedAddrs struct {
	Name  string // "smtp", "submission", ...
	Addrs []string
}

// All returns every listener list in a fixed order, named by its key.
func (l *Listen) All() []NamedAddrs {
	return []NamedAddrs{
		{"smtp", l.SMTP}, {"submission", l.Submission}, {"submissions", l.Submissions},
		{"imap", l.IMAP}, {"imaps", l.IMAPS}, {"pop3", l.POP3}, {"pop3s", l.POP3S},
		{"http", l.HTTP}, {"lmtp", l.LMTP}, {"https", l.HTTPS}, {"http_acme", l.HTTPACME},
		{"managesieve", l.ManageSieve},
	}
}

func (l *Listen) validate(p *problems) {
	used := map[string]string{}
	for _, n := range l.All() {
		for i, a := range n.Addrs {
			key := fmt.Sprintf("listen.%s[%d]", n.Name, i)
			isPath := n.Name == "lmtp" && strings.Contains(a, "/")
			if why := hostPortProblem(a, false); why != "" && !isPath {
				p.add(key, "%q: invalid host:port (%s)", a, why)
				continue
			}
			if prev, ok := used[a]; ok {
				p.add(key, "%q: already used by %s", a, prev)
				continue
			}
			used[a] = key
		}
	}
}

func (t *TLS) validate(p *problems) {
	if t.Cert != "" && t.Key == "" {
		p.add("tls.key", "must be set when tls.cert is set")
	}
	if t.Key != "" && t.Cert == "" {
		p.add("tls.cert", "must be set when tls.key is set")
	}
}

// checkFiles reports the files that c names and that do not exist, so
// that Load finds them before any listener or store opens (README
// "Configuration"); their contents are checked when they are loaded.
// Validate leaves them alone: it judges values, not the machine.
func (c *Config) checkFiles() []error {
	var p problems
	fileExists(&p, "tls.cert", c.TLS.Cert)
	fileExists(&p, "tls.key", c.TLS.Key)
	fileExists(&p, "acme.ca_roots", c.ACME.CARoots)
	return p
}

// fileExists reports key unless path is empty or names a file.
func fileExists(p *problems, key, path string) {
	if path == "" {
		return
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.add(key, "%q: no such file", path)
	case err != nil:
		p.add(key, "%q: %v", path, errors.Unwrap(err))
	case fi.IsDir():
		p.add(key, "%q: is a directory, not a file", path)
	}
}

func (s *Storage) validate(p *problems) {
	oneOf(p, "storage.driver", s.Driver, "sqlite", "postgres")
	if s.Driver == "postgres" && s.DSN == "" {
		p.add("storage.dsn", `must be set when storage.driver is "postgres"`)
	}
	if s.MinFreeSpace < 0 {
		p.add("storage.min_free_space", "%v: must not be negative (0 = no floor)", s.MinFreeSpace)
	}
	switch {
	case s.DeletionReserve < 0:
		p.add("storage.deletion_reserve", "%v: must not be negative (0 = none)", s.DeletionReserve)
	case s.DeletionReserve > GiB:
		p.add("storage.deletion_reserve", "%v: must be at most 1GiB", s.DeletionReserve)
	}
}

func (s *SMTP) validate(p *problems) {
	positive(p, "smtp.max_recipients", s.MaxRecipients)
	positive(p, "smtp.max_connections_per_ip", s.MaxConnectionsPerIP)
	positive(p, "smtp.max_connections", s.MaxConnections)
	positive(p, "smtp.command_timeout", s.CommandTimeout)
	positive(p, "smtp.data_timeout", s.DataTimeout)
	positive(p, "smtp.min_data_rate", s.MinDataRate)
	positive(p, "smtp.rcpt_soft_error_limit", s.RcptSoftErrorLimit)
	positive(p, "smtp.rcpt_hard_error_limit", s.RcptHardErrorLimit)
	if s.RcptSoftErrorLimit > s.RcptHardErrorLimit && s.RcptHardErrorLimit > 0 {
		p.add("smtp.rcpt_soft_error_limit", "%d: must not exceed smtp.rcpt_hard_error_limit (%d)", s.RcptSoftErrorLimit, s.RcptHardErrorLimit)
	}
	positive(p, "smtp.rcpt_error_sleep", s.RcptErrorSleep)
	positive(p, "smtp.rcpt_error_decay", s.RcptErrorDecay)
	positive(p, "smtp.max_bad_commands", s.MaxBadCommands)
	sep := s.SubaddressSeparator
	switch {
	case utf8.RuneCountInString(sep) > 1:
		p.add("smtp.subaddress_separator", "%q: must be at most one character", sep)
	case sep == "@":
		p.add("smtp.subaddress_separator", `must not be "@"`)
	case sep != "" && !strings.Contains("!#$%&'*+-/=?^_`{|}~.", sep):
		p.add("smtp.subaddress_separator", "%q: must be a punctuation character allowed in a local part, such as \"+\" or \"-\"", sep)
	}
}

func (m *IMAP) validate(p *problems) {
	positive(p, "imap.max_connections", m.MaxConnections)
	positive(p, "imap.max_connections_per_ip", m.MaxConnectionsPerIP)
	if m.MaxConnections > 0 && m.MaxConnectionsPerIP > m.MaxConnections {
		p.add("imap.max_connections_per_ip", "%d: must not exceed imap.max_connections (%d)", m.MaxConnectionsPerIP, m.MaxConnections)
	}
	if m.IdleTimeout < Duration(30*time.Minute) {
		p.add("imap.idle_timeout", "%v: must be at least 30m (RFC 9051 §5.4)", m.IdleTimeout)
	}
	positive(p, "imap.login_timeout", m.LoginTimeout)
	if m.MaxLineLength < 8192 {
		p.add("imap.max_line_length", "%v: must be at least 8192 octets (RFC 7162 §4)", m.MaxLineLength)
	}
	positive(p, "imap.max_literal", m.MaxLiteral)
	positive(p, "imap.max_bad_commands", m.MaxBadCommands)
}

func (m *POP3) validate(p *problems) {
	positive(p, "pop3.max_connections", m.MaxConnections)
	positive(p, "pop3.max_connections_per_ip", m.MaxConnectionsPerIP)
	if m.MaxConnections > 0 && m.MaxConnectionsPerIP > m.MaxConnections {
		p.add("pop3.max_connections_per_ip", "%d: must not exceed pop3.max_connections (%d)", m.MaxConnectionsPerIP, m.MaxConnections)
	}
	if m.IdleTimeout < Duration(10*time.Minute) {
		p.add("pop3.idle_timeout", "%v: must be at least 10m (RFC 1939 §3)", m.IdleTimeout)
	}
	positive(p, "pop3.max_bad_commands", m.MaxBadCommands)
}

func (m *ManageSieve) validate(p *problems) {
	positive(p, "managesieve.max_connections", m.MaxConnections)
	positive(p, "managesieve.max_connections_per_ip", m.MaxConnectionsPerIP)
	if m.MaxConnections > 0 && m.MaxConnectionsPerIP > m.MaxConnections {
		p.add("managesieve.max_connections_per_ip", "%d: must not exceed managesieve.max_connections (%d)",
			m.MaxConnectionsPerIP, m.MaxConnections)
	}
	if m.IdleTimeout < Duration(time.Minute) {
		p.add("managesieve.idle_timeout", "%v: must be at least 1m", m.IdleTimeout)
	}
	positive(p, "managesieve.max_script_size", m.MaxScriptSize)
	if m.MaxScriptSize > MaxSieveScriptSize {
		p.add("managesieve.max_script_size", "%v: must be at most 1MiB (the scripts delivery compiles)", m.MaxScriptSize)
	}
}

// validateLimits checks the process-wide limits against each protocol's:
// a protocol allowing an address more connections than all protocols
// together would be a limit that never applies.
func (c *Config) validateLimits(p *problems) {
	const key = "limits.max_connections_per_ip"
	n := c.Limits.MaxConnectionsPerIP
	positive(p, key, n)
	for _, proto := range []struct {
		key string
		n   int
	}{
		{"smtp.max_connections_per_ip", c.SMTP.MaxConnectionsPerIP},
		{"imap.max_connections_per_ip", c.IMAP.MaxConnectionsPerIP},
		{"pop3.max_connections_per_ip", c.POP3.MaxConnectionsPerIP},
		{"managesieve.max_connections_per_ip", c.ManageSieve.MaxConnectionsPerIP},
	} {
		// ManageSieve is off by default: its limit matters only when it
		// listens.
		if proto.key == "managesieve.max_connections_per_ip" && len(c.Listen.ManageSieve) == 0 {
			continue
		}
		if n > 0 && proto.n > n {
			p.add(key, "%d: must not be below %s (%d)", n, proto.key, proto.n)
		}
	}
}

func (d *DNS) validate(p *problems) {
	if d.DNSSEC && len(d.Servers) == 0 {
		// /etc/resolv.conf may name anything; the AD bit is trusted only
		// from resolvers the operator names (README "DANE").
		p.add("dns.servers", "dns.dnssec needs the loopback address of a validating resolver here (e.g. [\"127.0.0.1:53\"])")
	}
	for i, s := range d.Servers {
		key := fmt.Sprintf("dns.servers[%d]", i)
		if !hostPort(p, key, s) {
			continue
		}
		if !isIPHost(s) {
			p.add(key, "%q: host must be an IP address", s)
		} else if d.DNSSEC && !isLoopback(s) {
			// Only the loopback path to a validating resolver is
			// trusted with the AD bit (README "DANE").
			p.add(key, "%q: with dns.dnssec the resolver must be on a loopback address (127.0.0.1, ::1)", s)
		}
	}
}

// isLoopback reports whether the host of the valid "host:port" s is a
// loopback address.
func isLoopback(s string) bool {
	ap, err := netip.ParseAddrPort(s)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

func (l *Log) validate(p *problems) {
	oneOf(p, "log.level", l.Level, "debug", "info", "warn", "error")
	oneOf(p, "log.format", l.Format, "text", "json")
}

func oneOf(p *problems, key, val string, allowed ...string) {
	if !slices.Contains(allowed, val) {
		p.add(key, "%q: must be one of %q", val, allowed)
	}
}

func positive[T int | Size | Duration](p *problems, key string, v T) {
	if v <= 0 {
		p.add(key, "%v: must be greater than zero", v)
	}
}

// routeKey is the TOML key of the route for domain.
func routeKey(domain string) string {
	return toml.Key{"delivery", "routes", domain}.String()
}
