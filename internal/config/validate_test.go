package config

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestValidateProblems(t *testing.T) {
	const h = Duration(time.Hour)
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"empty hostname", func(c *Config) { c.Hostname = "" }, []string{"hostname: must not be empty"}},
		{"bad hostname", func(c *Config) { c.Hostname = "mail_server.example" },
			[]string{`hostname: "mail_server.example" is not a valid domain name (letters, digits and hyphens; xn-- form for international names)`}},
		{"numeric hostname", func(c *Config) { c.Hostname = "10.0.0.1" },
			[]string{`hostname: "10.0.0.1" is not a valid domain name (letters, digits and hyphens; xn-- form for international names)`}},
		{"no http connections", func(c *Config) { c.HTTP.MaxConnectionsPerIP = 0 },
			[]string{`http.max_connections_per_ip: 0: must be greater than zero`}},
		{"bad admin network", func(c *Config) { c.HTTP.AdminNetworks = []string{"10.0.0.0/8", "::1", "10.0.0.0/33"} },
			[]string{`http.admin_networks[2]: "10.0.0.0/33" is not an IP address or CIDR prefix`}},
		{"empty data_dir", func(c *Config) { c.DataDir = "" }, []string{"data_dir: must not be empty"}},
		{"port out of range", func(c *Config) { c.Listen.SMTP = []string{"127.0.0.1:99999"} },
			[]string{`listen.smtp[0]: "127.0.0.1:99999": invalid host:port (port out of range)`}},
		{"port zero", func(c *Config) { c.Listen.IMAP = []string{"127.0.0.1:2143", "127.0.0.1:0"} },
			[]string{`listen.imap[1]: "127.0.0.1:0": invalid host:port (port out of range)`}},
		{"missing port", func(c *Config) { c.Listen.HTTP = []string{"127.0.0.1"} },
			[]string{`listen.http[0]: "127.0.0.1": invalid host:port (missing port in address)`}},
		{"named port", func(c *Config) { c.Listen.POP3 = []string{":pop3"} },
			[]string{`listen.pop3[0]: ":pop3": invalid host:port (port is not a number)`}},
		{"bad host", func(c *Config) { c.Listen.IMAPS = []string{"bad host:993"} },
			[]string{`listen.imaps[0]: "bad host:993": invalid host:port (invalid host)`}},
		{"duplicate listener", func(c *Config) { c.Listen.Submission = []string{"127.0.0.1:2525"} },
			[]string{`listen.submission[0]: "127.0.0.1:2525": already used by listen.smtp[0]`}},
		{"lmtp socket needs a slash", func(c *Config) { c.Listen.LMTP = []string{"/run/petrel/lmtp", "lmtp.sock"} },
			[]string{`listen.lmtp[1]: "lmtp.sock": invalid host:port (missing port in address)`}},
		{"cert without key", func(c *Config) { c.TLS.Cert = "cert.pem" }, []string{"tls.key: must be set when tls.cert is set"}},
		{"key without cert", func(c *Config) { c.TLS.Key = "key.pem" }, []string{"tls.cert: must be set when tls.key is set"}},
		{"unknown driver", func(c *Config) { c.Storage.Driver = "mysql" },
			[]string{`storage.driver: "mysql": must be one of ["sqlite" "postgres"]`}},
		{"postgres without dsn", func(c *Config) { c.Storage.Driver = "postgres" },
			[]string{`storage.dsn: must be set when storage.driver is "postgres"`}},
		{"negative free space floor", func(c *Config) { c.Storage.MinFreeSpace = -1 },
			[]string{"storage.min_free_space: -1: must not be negative (0 = no floor)"}},
		{"negative deletion reserve", func(c *Config) { c.Storage.DeletionReserve = -5 },
			[]string{"storage.deletion_reserve: -5: must not be negative (0 = none)"}},
		{"huge deletion reserve", func(c *Config) { c.Storage.DeletionReserve = 2 * GiB },
			[]string{"storage.deletion_reserve: 2GiB: must be at most 1GiB"}},
		{"zero recipients", func(c *Config) { c.SMTP.MaxRecipients = 0 }, []string{"smtp.max_recipients: 0: must be greater than zero"}},
		{"soft over hard", func(c *Config) { c.SMTP.RcptSoftErrorLimit = 30 },
			[]string{"smtp.rcpt_soft_error_limit: 30: must not exceed smtp.rcpt_hard_error_limit (20)"}},
		{"bad postmaster", func(c *Config) { c.Delivery.Postmaster = "postmaster" },
			[]string{`delivery.postmaster: "postmaster" is not a valid address`}},
		{"zero data rate", func(c *Config) { c.SMTP.MinDataRate = 0 }, []string{"smtp.min_data_rate: 0: must be greater than zero"}},
		{"negative connections", func(c *Config) { c.SMTP.MaxConnectionsPerIP = -1 },
			[]string{"smtp.max_connections_per_ip: -1: must be greater than zero"}},
		{"long separator", func(c *Config) { c.SMTP.SubaddressSeparator = "+-" },
			[]string{`smtp.subaddress_separator: "+-": must be at most one character`}},
		{"at separator", func(c *Config) { c.SMTP.SubaddressSeparator = "@" }, []string{`smtp.subaddress_separator: must not be "@"`}},
		{"space separator", func(c *Config) { c.SMTP.SubaddressSeparator = " " },
			[]string{`smtp.subaddress_separator: " ": must be a punctuation character allowed in a local part, such as "+" or "-"`}},
		{"imap zero connections", func(c *Config) { c.IMAP.MaxConnections = 0 },
			[]string{"imap.max_connections: 0: must be greater than zero"}},
		{"imap per-ip over total", func(c *Config) { c.IMAP.MaxConnections, c.IMAP.MaxConnectionsPerIP = 100, 200 },
			[]string{"imap.max_connections_per_ip: 200: must not exceed imap.max_connections (100)",
				"limits.max_connections_per_ip: 100: must not be below imap.max_connections_per_ip (200)"}},
		{"imap short idle timeout", func(c *Config) { c.IMAP.IdleTimeout = Duration(10 * time.Minute) },
			[]string{"imap.idle_timeout: 10m: must be at least 30m (RFC 9051 §5.4)"}},
		{"imap zero login timeout", func(c *Config) { c.IMAP.LoginTimeout = 0 },
			[]string{"imap.login_timeout: 0s: must be greater than zero"}},
		{"imap short lines", func(c *Config) { c.IMAP.MaxLineLength = 1000 },
			[]string{"imap.max_line_length: 1KB: must be at least 8192 octets (RFC 7162 §4)"}},
		{"imap zero literal", func(c *Config) { c.IMAP.MaxLiteral = 0 }, []string{"imap.max_literal: 0: must be greater than zero"}},
		{"imap zero bad commands", func(c *Config) { c.IMAP.MaxBadCommands = 0 },
			[]string{"imap.max_bad_commands: 0: must be greater than zero"}},
		{"pop3 zero connections", func(c *Config) { c.POP3.MaxConnections = 0 },
			[]string{"pop3.max_connections: 0: must be greater than zero"}},
		{"pop3 per-ip over total", func(c *Config) { c.POP3.MaxConnections, c.POP3.MaxConnectionsPerIP = 10, 20 },
			[]string{"pop3.max_connections_per_ip: 20: must not exceed pop3.max_connections (10)"}},
		{"pop3 short idle timeout", func(c *Config) { c.POP3.IdleTimeout = Duration(5 * time.Minute) },
			[]string{"pop3.idle_timeout: 5m: must be at least 10m (RFC 1939 §3)"}},
		{"pop3 zero bad commands", func(c *Config) { c.POP3.MaxBadCommands = 0 },
			[]string{"pop3.max_bad_commands: 0: must be greater than zero"}},
		{"managesieve per-ip over total", func(c *Config) { c.ManageSieve.MaxConnections, c.ManageSieve.MaxConnectionsPerIP = 5, 6 },
			[]string{"managesieve.max_connections_per_ip: 6: must not exceed managesieve.max_connections (5)"}},
		{"managesieve short idle timeout", func(c *Config) { c.ManageSieve.IdleTimeout = Duration(time.Second) },
			[]string{"managesieve.idle_timeout: 1s: must be at least 1m"}},
		{"managesieve script size over the interpreter's", func(c *Config) { c.ManageSieve.MaxScriptSize = 2 * MiB },
			[]string{"managesieve.max_script_size: 2MiB: must be at most 1MiB (the scripts delivery compiles)"}},
		{"managesieve listener", func(c *Config) { c.Listen.ManageSieve = []string{"127.0.0.1:2525"} },
			[]string{`listen.managesieve[0]: "127.0.0.1:2525": already used by listen.smtp[0]`}},
		{"limits per ip below managesieve's, managesieve on", func(c *Config) {
			c.Listen.ManageSieve, c.Limits.MaxConnectionsPerIP, c.SMTP.MaxConnectionsPerIP = []string{"127.0.0.1:4190"}, 3, 3
			c.IMAP.MaxConnectionsPerIP, c.POP3.MaxConnectionsPerIP = 3, 3
		}, []string{"limits.max_connections_per_ip: 3: must not be below managesieve.max_connections_per_ip (10)"}},
		{"zero limits per ip", func(c *Config) { c.Limits.MaxConnectionsPerIP = 0 },
			[]string{"limits.max_connections_per_ip: 0: must be greater than zero"}},
		{"limits per ip below a protocol's", func(c *Config) { c.Limits.MaxConnectionsPerIP, c.SMTP.MaxConnectionsPerIP = 40, 1000 },
			[]string{"limits.max_connections_per_ip: 40: must not be below smtp.max_connections_per_ip (1000)",
				"limits.max_connections_per_ip: 40: must not be below imap.max_connections_per_ip (50)"}},
		{"dns without port", func(c *Config) { c.DNS.Servers = []string{"127.0.0.1"} },
			[]string{`dns.servers[0]: "127.0.0.1": invalid host:port (missing port in address)`}},
		{"dns by name", func(c *Config) { c.DNS.Servers = []string{"[::1]:53", "ns.example:53"} },
			[]string{`dns.servers[1]: "ns.example:53": host must be an IP address`}},
		{"dns without host", func(c *Config) { c.DNS.Servers = []string{":53"} },
			[]string{`dns.servers[0]: ":53": invalid host:port (missing host)`}},
		{"zero size", func(c *Config) { c.Delivery.MaxMessageSize = 0 }, []string{"delivery.max_message_size: 0: must be greater than zero"}},
		{"bad relayhost", func(c *Config) { c.Delivery.Relayhost = "smtp.example" },
			[]string{`delivery.relayhost: "smtp.example": invalid host:port (missing port in address)`}},
		{"relay user alone", func(c *Config) { c.Delivery.Relayhost, c.Delivery.RelayUser = "smtp.example:587", "me" },
			[]string{"delivery.relay_user: relay_user and relay_password go together (both or neither)"}},
		{"relay password alone", func(c *Config) { c.Delivery.Relayhost, c.Delivery.RelayPassword = "smtp.example:587", "pw" },
			[]string{"delivery.relay_user: relay_user and relay_password go together (both or neither)"}},
		{"relay credentials without relayhost", func(c *Config) { c.Delivery.RelayUser, c.Delivery.RelayPassword = "me", "pw" },
			[]string{"delivery.relay_user: credentials without delivery.relayhost"}},
		{"remote port", func(c *Config) { c.Delivery.RemotePort = 70000 }, []string{"delivery.remote_port: 70000: port out of range (1-65535)"}},
		{"no retry", func(c *Config) { c.Delivery.Retry = nil }, []string{"delivery.retry: must list at least one interval"}},
		{"zero retry", func(c *Config) { c.Delivery.Retry = []Duration{h, 0} }, []string{"delivery.retry[1]: 0s: must be greater than zero"}},
		{"negative queue time", func(c *Config) { c.Delivery.MaxQueueTime = -h }, []string{"delivery.max_queue_time: -1h: must be greater than zero"}},
		{"zero delay warning", func(c *Config) { c.Delivery.DelayWarning = 0 }, []string{"delivery.delay_warning: 0s: must be greater than zero"}},
		{"short claim lease", func(c *Config) { c.Delivery.ClaimLease = Duration(500 * time.Millisecond) }, []string{"delivery.claim_lease: 500ms: must be at least 1s"}},
		{"bad route domain", func(c *Config) { c.Delivery.Routes = map[string]string{"not a domain": "10.0.0.5:25"} },
			[]string{`delivery.routes."not a domain": "not a domain" is not a valid domain name`}},
		{"bad route target", func(c *Config) { c.Delivery.Routes = map[string]string{"a.example": "10.0.0.5"} },
			[]string{`delivery.routes."a.example": "10.0.0.5": invalid host:port (missing port in address)`}},
		{"log level", func(c *Config) { c.Log.Level = "verbose" },
			[]string{`log.level: "verbose": must be one of ["debug" "info" "warn" "error"]`}},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, []string{`log.format: "xml": must be one of ["text" "json"]`}},
	}
	for _, tt := range tests {
		c := Default()
		tt.change(c)
		var got []string
		for _, err := range c.Validate() {
			var e *Error
			if !errors.As(err, &e) || e.Key == "" {
				t.Errorf("%s: %v is not a *config.Error with a key", tt.name, err)
			}
			got = append(got, err.Error())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Validate() =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	c := Default()
	c.Hostname = "mx-1.xn--bcher-kva.example"
	c.Listen.SMTP = []string{":25", "[::1]:25", "[fe80::1%eth0]:2525"}
	c.Listen.LMTP = []string{"/run/petrel/lmtp.sock", "localhost:24"}
	c.TLS = TLS{Cert: "/etc/petrel/cert.pem", Key: "/etc/petrel/key.pem"}
	c.Storage = Storage{Driver: "postgres", DSN: "postgres://petrel@localhost/petrel"}
	c.SMTP.SubaddressSeparator = ""
	c.DNS.Servers = []string{"127.0.0.1:5353", "[::1]:53"}
	c.Delivery.Relayhost = "smtp.relay.example:587"
	c.Delivery.Routes = map[string]string{"internal.example.org": "10.0.0.5:25"}
	c.Log = Log{Level: "debug", Format: "json"}
	if errs := c.Validate(); errs != nil {
		t.Fatalf("Validate() = %v", errs)
	}
}

func TestValidateReportsEachProblem(t *testing.T) {
	c := Default()
	c.Hostname = ""
	c.SMTP.MaxRecipients = 0
	c.Listen.SMTP = []string{"x", "y"}
	c.Log.Level = "loud"
	if errs := c.Validate(); len(errs) != 5 {
		t.Fatalf("Validate() = %d problems %v, want 5", len(errs), errs)
	}
}
