package smtpclient

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Config is what the client needs from the configuration.
type Config struct {
	Hostname   string // EHLO name
	RemotePort int    // port on MX hosts (delivery.remote_port); 0 = 25
	// Relayhost ("host:port", or "[host]:port") takes all mail when set;
	// RelayUser and RelayPassword are its AUTH PLAIN credentials.
	Relayhost                string
	RelayUser, RelayPassword string
	// Routes maps a domain to the "host:port" that takes its mail
	// (delivery.routes); the host's address records are used, not MX.
	Routes map[string]string
	// Timeouts (RFC 5321 §4.5.3.2); zero values take the defaults: 30 s
	// to connect, 5 min per command, 10 min for the data and its reply.
	ConnectTimeout, CommandTimeout, DataTimeout time.Duration
	// TLSConfig is the template for STARTTLS (e.g. the root CAs of a
	// test); nil = defaults.
	TLSConfig *tls.Config
	// RequireTLS refuses to deliver without TLS and verifies the server's
	// certificate.
	RequireTLS bool
	// STS looks up the recipient domain's MTA-STS policy (RFC 8461);
	// nil = no MTA-STS. DANE (RFC 7672) applies when the resolver
	// validates DNSSEC (dnssec.go).
	STS STSLookup
	// TLSReport receives the outcome of each connection attempt and
	// policy lookup of a delivery by MX, for TLS reporting (RFC 8460);
	// nil = none. It must not block.
	TLSReport func(TLSOutcome)
	// ConnectionCacheTime keeps a connection open after a delivery, for
	// that long, for the next message to the same host (after RSET, like
	// Postfix's connection cache), and successful MX and address answers
	// for as long; 0 = a new connection and new lookups per message.
	ConnectionCacheTime time.Duration
}

// Message is one message to deliver to recipients of one domain.
type Message struct {
	From  string // envelope sender; "" = null sender (bounces)
	Rcpts []Rcpt
	// Body opens the message (headers and body, CRLF line ends); it is
	// called again for each host tried.
	Body     func() (io.ReadCloser, error)
	Size     int64  // octets, for SIZE= (RFC 1870); 0 = unknown
	EightBit bool   // the body has 8-bit content (RFC 6152)
	SMTPUTF8 bool   // the message needs SMTPUTF8 (RFC 6531)
	EnvID    string // DSN ENVID, xtext-decoded (RFC 3461 §4.4)
	Ret      string // DSN RET: "FULL", "HDRS" or ""
	// RequireTLS: the message carries REQUIRETLS (RFC 8689 §4.2.1): it
	// is relayed only over TLS authenticated by DANE or MTA-STS (or the
	// Web PKI to an MX record validated by DNSSEC) to a server that
	// offers REQUIRETLS, with the MAIL parameter; otherwise every
	// recipient fails with 550 5.7.10.
	RequireTLS bool
	// TLSOptional: the message has "TLS-Required: No" (RFC 8689 §4.1):
	// policy failures (DANE, MTA-STS) are reported, not enforced.
	TLSOptional bool
	// LogAttrs name the message at the start of the client's log lines
	// (the queue's queue_id and msg_id: docs/flow.md "Tracing a message").
	LogAttrs []any
}

// Rcpt is one recipient.
type Rcpt struct {
	Addr   string
	Notify []string // DSN NOTIFY values, upper case (RFC 3461 §4.1)
	ORcpt  string   // DSN ORCPT "addr-type;address", decoded (RFC 3461 §4.2)
}

// Result is the outcome for one recipient.
type Result struct {
	Rcpt string
	// Reply is the remote server's reply for this recipient, or one the
	// client made up (550 5.1.10 null MX, 451 4.4.1 no answer, ...).
	Reply     *smtpreply.Reply
	Permanent bool       // Reply is a 5xx: do not retry
	RemoteMTA string     // host name that answered, "" if none did
	RemoteIP  netip.Addr // its address, zero if none answered
	TLS       string     // "TLS1.3 TLS_AES_128_GCM_SHA256", or "" without TLS
	// TLSPolicy is the TLS policy of the deciding attempt and its
	// outcome: "dane ok", "sts ok", "sts-testing certificate-expired",
	// "sts validation-failure" (a host the policy rules out), "none ok"
	// (README "Outbound TLS policy"); "" when no host was tried.
	TLSPolicy string
}

// Delivered reports a positive reply.
func (r Result) Delivered() bool { return r.Reply != nil && r.Reply.Positive() }

// Client delivers messages. It is safe for concurrent use.
type Client struct {
	cfg    Config
	routes map[string]string // Routes by normDomain
	dns    dnsr.Resolver
	sec    secureResolver // nil: no DNSSEC, no DANE
	log    *slog.Logger
	cache  *connCache // nil without ConnectionCacheTime
}

// New returns a client; r resolves MX and address records.
func New(cfg Config, r dnsr.Resolver, log *slog.Logger) *Client {
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.RemotePort == 0 {
		cfg.RemotePort = 25
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 5 * time.Minute
	}
	if cfg.DataTimeout <= 0 {
		cfg.DataTimeout = 10 * time.Minute
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	routes := make(map[string]string, len(cfg.Routes))
	for d, target := range cfg.Routes {
		routes[normDomain(d)] = target
	}
	c := &Client{cfg: cfg, routes: routes, dns: r, log: log}
	if sr, ok := r.(secureResolver); ok && sr.DNSSEC() {
		c.sec = sr
	}
	if cfg.ConnectionCacheTime > 0 {
		c.cache = newConnCache(cfg.ConnectionCacheTime)
		memo := newMemoResolver(r, c.sec, cfg.ConnectionCacheTime)
		c.dns = memo
		if c.sec != nil {
			c.sec = memo
		}
	}
	return c
}

// Close ends the cached idle connections.
func (c *Client) Close() {
	if c.cache != nil {
		c.cache.closeAll()
	}
}

// Send delivers m to its recipients, all at domain, in one transaction,
// and returns one result per m.Rcpts, in the same order.
func (c *Client) Send(ctx context.Context, domain string, m *Message) []Result {
	return c.send(ctx, domain, m)
}
