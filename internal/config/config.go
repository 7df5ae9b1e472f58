package config

import (
	"errors"
	"os"
	"strings"
	"time"
)

// Config is the whole configuration file.
type Config struct {
	Hostname string  `toml:"hostname"`
	DataDir  string  `toml:"data_dir"`
	Listen   Listen  `toml:"listen"`
	TLS      TLS     `toml:"tls"`
	ACME     ACME    `toml:"acme"`
	Storage  Storage `toml:"storage"`
	SMTP     SMTP    `toml:"smtp"`
	IMAP     IMAP    `toml:"imap"`
	POP3     POP3    `toml:"pop3"`
	// ManageSieve holds the limits of listen.managesieve (RFC 5804).
	ManageSieve ManageSieve `toml:"managesieve"`
	Limits      Limits      `toml:"limits"`
	DNS         DNS         `toml:"dns"`
	Delivery    Delivery    `toml:"delivery"`
	DKIM        DKIM        `toml:"dkim"`
	DMARC       DMARC       `toml:"dmarc"`
	SRS         SRS         `toml:"srs"` // forwarding (srs.go)
	TLSRPT      TLSRPT      `toml:"tls_rpt"`
	Log         Log         `toml:"log"`
	MTASTS      MTASTS      `toml:"mta_sts"`
	HTTP        HTTP        `toml:"http"`
	// The content filter and the sending limits (rspamd.go).
	Rspamd     Rspamd     `toml:"rspamd"`
	SendLimits SendLimits `toml:"send_limits"`
	Antispam   Antispam   `toml:"antispam"`
	// The operator's Sieve scripts (sieve.go).
	Sieve Sieve `toml:"sieve"`
}

// Listen holds the listener addresses of each protocol; an empty list turns
// the protocol off.
type Listen struct {
	SMTP        []string `toml:"smtp"`
	Submission  []string `toml:"submission"`
	Submissions []string `toml:"submissions"`
	IMAP        []string `toml:"imap"`
	IMAPS       []string `toml:"imaps"`
	POP3        []string `toml:"pop3"`
	POP3S       []string `toml:"pop3s"`
	HTTP        []string `toml:"http"`
	LMTP        []string `toml:"lmtp"` // host:port or a unix socket path
	// HTTPS serves the web handler (cmd/petrel web.go) and ACME's
	// TLS-ALPN-01 challenges; HTTPACME serves HTTP-01 challenges and
	// redirects everything else to https (README "Certificates and
	// transport security").
	HTTPS    []string `toml:"https"`
	HTTPACME []string `toml:"http_acme"`
	// ManageSieve serves ManageSieve (RFC 5804, port 4190): the accounts'
	// Sieve scripts (README "ManageSieve").
	ManageSieve []string `toml:"managesieve"`
}

// TLS names the certificate files; both empty means a self-signed
// certificate for the hostname.
type TLS struct {
	Cert              string `toml:"cert"`
	Key               string `toml:"key"`
	AllowInsecureAuth bool   `toml:"allow_insecure_auth"`
	// MinVersion is the lowest TLS version every listener accepts:
	// "1.2" or "1.3".
	MinVersion string `toml:"min_version"`
}

// Storage selects the storage backend.
type Storage struct {
	Driver string `toml:"driver"` // "sqlite" or "postgres"
	DSN    string `toml:"dsn"`
	// MinFreeSpace is the free space on the data directory's filesystem
	// that incoming mail may not take: SMTP refuses a message that would
	// go below it with 452 4.3.1 (at MAIL when SIZE is declared, RFC 1870
	// §6.1), IMAP an APPEND (README "Storage"). 0 = no floor.
	MinFreeSpace Size `toml:"min_free_space"`
	// DeletionReserve is the size of the file kept in data_dir so that
	// deletions and flag changes still work when the disk is full
	// (sqlite); 0 = none.
	DeletionReserve Size `toml:"deletion_reserve"`
}

// SMTP holds limits of the SMTP and submission servers.
type SMTP struct {
	MaxRecipients       int    `toml:"max_recipients"`
	MaxConnectionsPerIP int    `toml:"max_connections_per_ip"`
	SubaddressSeparator string `toml:"subaddress_separator"` // "" turns subaddressing off
	// MaxConnections bounds the concurrent connections of each SMTP
	// service in total, MaxConnectionsPerIP those from one address: the
	// MX (listen.smtp), submission (listen.submission and
	// listen.submissions together) and LMTP (listen.lmtp).
	MaxConnections int `toml:"max_connections"`
	// CommandTimeout bounds the time a command line may take (RFC 5321
	// §4.5.3.2.7: at least 5 minutes). DataTimeout, plus one second per
	// MinDataRate octets received, bounds the time the data of DATA or of
	// a BDAT chunk may take: a deadline, so that a client trickling its
	// data cannot hold a connection.
	CommandTimeout Duration `toml:"command_timeout"`
	DataTimeout    Duration `toml:"data_timeout"`
	MinDataRate    Size     `toml:"min_data_rate"`
	// RcptSoftErrorLimit and RcptHardErrorLimit count recipients refused
	// with 5xx (address harvesting), per session and per client address
	// across sessions: past the soft limit each refusal waits
	// RcptErrorSleep; at the hard limit the next RCPT gets 421 4.7.0 and
	// the connection is closed. A client's count loses one per
	// RcptErrorDecay.
	RcptSoftErrorLimit int      `toml:"rcpt_soft_error_limit"`
	RcptHardErrorLimit int      `toml:"rcpt_hard_error_limit"`
	RcptErrorSleep     Duration `toml:"rcpt_error_sleep"`
	RcptErrorDecay     Duration `toml:"rcpt_error_decay"`
	// MaxBadCommands is how many bad commands a client may send before it
	// is disconnected with 421 4.7.0.
	MaxBadCommands int `toml:"max_bad_commands"`
	// VerifySenders turns on SPF, DKIM and DMARC for mail received on
	// the MX (listen.smtp), with an Authentication-Results field.
	VerifySenders bool `toml:"verify_senders"`
}

// IMAP holds limits of the IMAP servers (listen.imap and listen.imaps).
type IMAP struct {
	// MaxConnections bounds the concurrent connections of the IMAP
	// listeners (imap and imaps together) in total; MaxConnectionsPerIP
	// those from one address.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// IdleTimeout is the autologout timer of an authenticated session
	// (RFC 9051 §5.4: at least 30 minutes, IDLE included); LoginTimeout
	// the one before authentication.
	IdleTimeout  Duration `toml:"idle_timeout"`
	LoginTimeout Duration `toml:"login_timeout"`
	// MaxLineLength bounds a command line without its literals (RFC 7162
	// §4: at least 8192 octets); MaxLiteral the string literals of one
	// command together, APPEND messages excepted (those are bounded by
	// delivery.max_message_size).
	MaxLineLength Size `toml:"max_line_length"`
	MaxLiteral    Size `toml:"max_literal"`
	// MaxBadCommands is how many BAD responses a session may earn before
	// it is closed with BYE.
	MaxBadCommands int `toml:"max_bad_commands"`
}

// POP3 holds limits of the POP3 servers (listen.pop3 and listen.pop3s).
type POP3 struct {
	// MaxConnections bounds the concurrent connections of the POP3
	// listeners in total; MaxConnectionsPerIP those from one address.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// IdleTimeout is the autologout timer (RFC 1939 §3: at least 10
	// minutes).
	IdleTimeout Duration `toml:"idle_timeout"`
	// MaxBadCommands is how many bad commands a client may send before
	// it has logged in; the next one closes the connection.
	MaxBadCommands int `toml:"max_bad_commands"`
}

// ManageSieve holds the limits of the ManageSieve server
// (listen.managesieve).
type ManageSieve struct {
	// MaxConnections bounds its concurrent connections in total;
	// MaxConnectionsPerIP those from one address.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// IdleTimeout is the autologout timer.
	IdleTimeout Duration `toml:"idle_timeout"`
	// MaxScriptSize bounds one Sieve script (PUTSCRIPT's QUOTA/MAXSIZE).
	MaxScriptSize Size `toml:"max_script_size"`
}

// MaxSieveScriptSize is the largest managesieve.max_script_size: the
// size of script the Sieve interpreter compiles at delivery
// (sieve.DefaultLimits).
const MaxSieveScriptSize = MiB

// Limits holds the limits shared by every protocol.
type Limits struct {
	// MaxConnectionsPerIP bounds the concurrent connections from one
	// address over SMTP, submission, IMAP and POP3 together (LMTP, a
	// trusted path, is not counted); each protocol's own
	// max_connections_per_ip applies as well.
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
}

// DNS selects the resolvers; no servers means the system resolver.
type DNS struct {
	Servers []string `toml:"servers"`
	// Cache keeps DNS answers for their TTL in petrel serve (petrel dns
	// check always asks).
	Cache bool `toml:"cache"`
	// DNSSEC believes the AD bit of the resolvers, which must validate
	// DNSSEC and sit on a loopback address: outbound DANE (README "DANE").
	DNSSEC bool `toml:"dnssec"`
}

// Delivery holds message size, outbound routing and queue settings.
type Delivery struct {
	MaxMessageSize Size   `toml:"max_message_size"`
	Relayhost      string `toml:"relayhost"`
	// RelayUser and RelayPassword are the AUTH credentials for the relay
	// host (both or neither; sent only over TLS).
	RelayUser     string     `toml:"relay_user"`
	RelayPassword string     `toml:"relay_password"`
	RemotePort    int        `toml:"remote_port"`
	Retry         []Duration `toml:"retry"`
	MaxQueueTime  Duration   `toml:"max_queue_time"`
	DelayWarning  Duration   `toml:"delay_warning"`
	// AttemptTimeout bounds one delivery attempt of a message to a
	// domain, every MX host and session of it together: a server that
	// answers just before each timeout, or reads the body a little at a
	// time, is given up at it (and tried again later).
	AttemptTimeout Duration          `toml:"attempt_timeout"`
	Routes         map[string]string `toml:"routes"`
	// TLSCAFile is a PEM file of CA certificates that outbound TLS
	// trusts besides the system's: MTA-STS policy hosts and MX hosts
	// under a policy, REQUIRETLS, the relay host ("" = the system's
	// only).
	TLSCAFile string `toml:"tls_ca_file"`
	// Postmaster is the local address (an account's or an alias) that
	// gets the mail for postmaster and abuse (RFC 2142) of a domain
	// without such an address of its own, and for the bare <postmaster> (RFC 5321
	// §4.5.1); empty: the postmaster of another local domain, else the
	// account created first.
	Postmaster string `toml:"postmaster"`
	// ClaimLease is how long a node's claim on a queued message holds
	// without a renewal: the messages of a node that died are tried by
	// another after it (README "Several nodes").
	ClaimLease Duration `toml:"claim_lease"`
}

// DKIM configures DKIM (RFC 6376); the keys are in the store (internal/dkim).
type DKIM struct {
	// Sign turns on the signing of submitted mail and of bounces with
	// the key of the From domain (mail from a domain without a key goes
	// out unsigned).
	Sign bool `toml:"sign"`
	// MaxVerify is how many DKIM signatures of an incoming message are
	// verified (RFC 6376 §6.1); the others are reported unchecked.
	MaxVerify int `toml:"max_verify"`
}

// DMARC configures what DMARC (RFC 7489) does to incoming mail.
type DMARC struct {
	// Reject is what a failure under p=reject gets: "reject" (550 5.7.1
	// at the end of DATA) or "quarantine" (delivered to Junk).
	Reject string `toml:"reject"`
}

// Log configures the process log.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// DefaultPath is the configuration file used when no path is given.
const DefaultPath = "./petrel.toml"

// Default returns a configuration with every key at its default: the local
// demo setup of docs/architecture.md §Configuration.
func Default() *Config {
	return &Config{
		Hostname: defaultHostname(),
		DataDir:  "./petrel-data",
		Listen: Listen{
			SMTP:        []string{"127.0.0.1:2525"},
			Submission:  []string{"127.0.0.1:2587"},
			Submissions: []string{"127.0.0.1:2465"},
			IMAP:        []string{"127.0.0.1:2143"},
			IMAPS:       []string{"127.0.0.1:2993"},
			POP3:        []string{"127.0.0.1:2110"},
			POP3S:       []string{"127.0.0.1:2995"},
			HTTP:        []string{"127.0.0.1:2080"},
			LMTP:        []string{},
			HTTPS:       []string{},
			HTTPACME:    []string{},
			ManageSieve: []string{},
		},
		TLS:     TLS{MinVersion: "1.2"},
		ACME:    defaultACME(),
		Storage: Storage{Driver: "sqlite", MinFreeSpace: 100 * MiB, DeletionReserve: 8 * MiB},
		SMTP: SMTP{
			MaxRecipients:       100,
			MaxConnectionsPerIP: 20,
			SubaddressSeparator: "+",
			MaxConnections:      1000,
			CommandTimeout:      Duration(5 * time.Minute),
			DataTimeout:         Duration(5 * time.Minute),
			MinDataRate:         KiB,
			RcptSoftErrorLimit:  5,
			RcptHardErrorLimit:  20,
			RcptErrorSleep:      Duration(time.Second),
			RcptErrorDecay:      Duration(time.Minute),
			MaxBadCommands:      10,
			VerifySenders:       true,
		},
		IMAP: IMAP{
			MaxConnections:      10000,
			MaxConnectionsPerIP: 50,
			IdleTimeout:         Duration(30 * time.Minute),
			LoginTimeout:        Duration(time.Minute),
			MaxLineLength:       64 * KiB,
			MaxLiteral:          MiB,
			MaxBadCommands:      20,
		},
		POP3: POP3{
			MaxConnections:      1000,
			MaxConnectionsPerIP: 20,
			IdleTimeout:         Duration(10 * time.Minute),
			MaxBadCommands:      3,
		},
		ManageSieve: ManageSieve{
			MaxConnections:      100,
			MaxConnectionsPerIP: 10,
			IdleTimeout:         Duration(10 * time.Minute),
			MaxScriptSize:       MiB,
		},
		Limits:   Limits{MaxConnectionsPerIP: 100},
		DNS:      DNS{Servers: []string{}, Cache: true},
		Delivery: defaultDelivery(),
		DKIM:     DKIM{Sign: true, MaxVerify: 5},
		DMARC:    DMARC{Reject: "reject"},
		SRS:      defaultSRS(),
		Sieve:    Sieve{VacationMinPeriod: Duration(day)},
		TLSRPT:   TLSRPT{Enabled: true},
		Log:      Log{Level: "info", Format: "text"},
		MTASTS:   defaultMTASTS(),
		HTTP:     HTTP{AdminNetworks: []string{}, MaxConnections: 1000, MaxConnectionsPerIP: 50},
		Rspamd:   defaultRspamd(),
		Antispam: defaultAntispam(),
	}
}

func defaultDelivery() Delivery {
	const h = Duration(time.Hour)
	return Delivery{
		MaxMessageSize: 50 * MB,
		RemotePort:     25,
		Retry:          []Duration{h / 12, h / 6, h / 2, h, 2 * h, 4 * h},
		MaxQueueTime:   120 * h,
		DelayWarning:   4 * h,
		AttemptTimeout: h,
		ClaimLease:     Duration(2 * time.Minute),
		Routes:         map[string]string{},
	}
}

// defaultHostname is the machine's name when it is a plausible fully
// qualified domain name, else "localhost".
func defaultHostname() string {
	name, err := os.Hostname()
	if err != nil || !strings.Contains(name, ".") || !validDomain(name) {
		return "localhost"
	}
	return name
}

// Locate finds the configuration file: flagPath if given, else DefaultPath
// if it exists. found is false when there is none, which means demo mode.
func Locate(flagPath string) (path string, found bool) {
	if flagPath != "" {
		return flagPath, true
	}
	_, err := os.Stat(DefaultPath)
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	// Any other stat error is reported when Load reads the file.
	return DefaultPath, true
}
