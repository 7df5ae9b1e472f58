package screen

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dnslist"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Resolver is what screening needs of the server's resolver (dnsr, whose
// cache answers a client seen again).
type Resolver interface {
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
}

// Config configures the screening of the MX's clients. The zero value
// screens nothing.
type Config struct {
	// Hostname is the server's name in the replies.
	Hostname string
	// PregreetWait is how long the server keeps silent before its
	// greeting: a client that talks meanwhile is refused (an early
	// talker). 0 turns the test off. PregreetTTL is how long a client
	// that passed is not made to wait again (default 24 hours).
	PregreetWait, PregreetTTL time.Duration
	// Blocklists and Allowlists are the DNS lists asked about every
	// client. A client whose blocklists' weights add up to Threshold
	// (default 1) is refused at RCPT, unless an allowlist lists it.
	Blocklists, Allowlists []dnslist.List
	Threshold              int
	// LookupTimeout bounds the lookups of one client, all lists at once:
	// a list that has not answered by then does not list it. Default 2
	// seconds.
	LookupTimeout time.Duration
	// ConnectionRate, MessageRate and RecipientRate are the connections,
	// MAIL commands and RCPT commands a client (an IPv4 address or IPv6
	// /64) may send per minute; 0 is no limit.
	ConnectionRate, MessageRate, RecipientRate int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.PregreetTTL <= 0 {
		c.PregreetTTL = 24 * time.Hour
	}
	if c.Threshold <= 0 {
		c.Threshold = 1
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Screen screens the clients of one server; it is safe for concurrent
// use. Its tables are per process: two nodes count their connections
// apart (README "Spam and abuse").
type Screen struct {
	cfg    Config
	r      Resolver
	m      *Metrics
	conns  *rateTable
	msgs   *rateTable
	rcpts  *rateTable
	passed *passTable
}

// New returns a screen that asks r; a nil m gets metrics registered
// nowhere.
func New(cfg Config, r Resolver, m *Metrics) *Screen {
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Screen{cfg: cfg.withDefaults(), r: r, m: m, conns: newRateTable(), msgs: newRateTable(),
		rcpts: newRateTable(), passed: newPassTable()}
}

// Refusal is a screening decision against a client: the reply, and the
// reason that labels it in smtpd's rejection metric and log.
type Refusal struct {
	Reply  *smtpreply.Reply
	Reason string
}

// The reasons of refusals.
const (
	ReasonEarlyTalker = "early_talker"
	ReasonDNSBL       = "dnsbl"
	ReasonRateLimit   = "rate_limit"
)

// Client is the screening of one connection.
type Client struct {
	s        *Screen
	ip       netip.Addr
	key      netip.Prefix
	log      *slog.Logger
	done     chan struct{} // closed when res is final
	res      envelope.Screening
	told     bool // the DNS list verdict was logged
	refusals int
}

// Connect starts screening a new connection from ip: its DNS list
// lookups run from now on, bounded by LookupTimeout; log is the
// session's logger.
func (s *Screen) Connect(ctx context.Context, ip netip.Addr, log *slog.Logger) *Client {
	c := &Client{s: s, ip: ip.Unmap(), key: netserve.ClientKey(ip), log: log, done: make(chan struct{})}
	if !ip.IsValid() || len(s.cfg.Blocklists)+len(s.cfg.Allowlists) == 0 {
		close(c.done)
		return c
	}
	go func() {
		defer close(c.done)
		c.res = s.lookup(ctx, c.ip)
	}()
	return c
}

// Admit applies the connection rate: a refusal is answered 421 and the
// connection closed.
func (c *Client) Admit() *Refusal {
	if c.s.conns.take(c.key, c.s.cfg.Now(), c.s.cfg.ConnectionRate) {
		return nil
	}
	return c.refuse("rate", "connections", ReasonRateLimit, smtpreply.ConnectionRateExceeded(c.s.cfg.Hostname))
}

// PregreetWait is how long to keep silent before the greeting: 0 when the
// test is off or the client passed it lately.
func (c *Client) PregreetWait() time.Duration {
	if c.s.cfg.PregreetWait <= 0 || c.s.passed.passed(c.key, c.s.cfg.Now()) {
		return 0
	}
	return c.s.cfg.PregreetWait
}

// EarlyTalkTest reports whether early talk is refused (PregreetWait
// set): before the greeting, and behind HELO/EHLO even for a client that
// is not made to wait.
func (c *Client) EarlyTalkTest() bool { return c.s.cfg.PregreetWait > 0 }

// Pregreet records the outcome of the wait: talked says whether the
// client sent anything during it (RFC 5321 §3.1: a client waits for the
// greeting). An early talker is refused and the connection closed.
func (c *Client) Pregreet(talked bool) *Refusal {
	if talked {
		return c.EarlyTalker("before the greeting")
	}
	now := c.s.cfg.Now()
	c.s.passed.add(c.key, now, now.Add(c.s.cfg.PregreetTTL))
	c.s.m.decide("pregreet", "pass")
	c.log.Debug("screen: pregreet passed")
	return nil
}

// EarlyTalker refuses a client that talked before its turn (when says
// when); the connection is closed after the reply. It also forgets that
// the client passed the pregreet test.
func (c *Client) EarlyTalker(when string) *Refusal {
	c.s.passed.add(c.key, c.s.cfg.Now(), time.Time{})
	return c.refuse("pregreet", when, ReasonEarlyTalker, smtpreply.EarlyTalker(c.s.cfg.Hostname))
}

// Mail applies the message rate to a MAIL command.
func (c *Client) Mail() *Refusal {
	if c.s.msgs.take(c.key, c.s.cfg.Now(), c.s.cfg.MessageRate) {
		return nil
	}
	return c.refuse("rate", "messages", ReasonRateLimit, smtpreply.RateExceeded("messages"))
}

// Rcpt decides a RCPT command: the DNS lists' verdict (waiting for the
// lookups, at most until their deadline), then the recipient rate.
func (c *Client) Rcpt() *Refusal {
	res := c.Screening()
	if res != nil && res.Allowed == "" && res.Threshold > 0 && res.Score >= res.Threshold {
		c.s.m.decide("dnsbl", "reject")
		return c.refuse("dnsbl", "blocklisted", ReasonDNSBL, smtpreply.Blocklisted(c.ip.String(), strings.Join(res.Listed, ", ")))
	}
	if c.s.rcpts.take(c.key, c.s.cfg.Now(), c.s.cfg.RecipientRate) {
		return nil
	}
	return c.refuse("rate", "recipients", ReasonRateLimit, smtpreply.RateExceeded("recipients"))
}

// Screening waits for the DNS list lookups (they end by their deadline)
// and returns their verdict, logged once; nil when no list is configured.
func (c *Client) Screening() *envelope.Screening {
	<-c.done
	if len(c.s.cfg.Blocklists)+len(c.s.cfg.Allowlists) == 0 || !c.ip.IsValid() {
		return nil
	}
	if !c.told {
		c.told = true
		c.logVerdict()
	}
	res := c.res
	return &res
}

// logVerdict writes the DNS lists' verdict: a line at info when a list
// names the client or did not answer, at debug otherwise.
func (c *Client) logVerdict() {
	r := &c.res
	logf, result := c.log.Debug, "clean"
	switch {
	case r.Allowed != "":
		logf, result = c.log.Info, "allowlisted"
	case r.Threshold > 0 && r.Score >= r.Threshold:
		logf, result = c.log.Info, "over_threshold"
	case len(r.Listed) > 0:
		logf, result = c.log.Info, "listed"
	case len(r.Unanswered) > 0:
		logf = c.log.Info
	}
	c.s.m.decide("dnsbl", result)
	logf("screen: DNS lists", "result", result, "score", r.Score, "threshold", r.Threshold,
		"listed", strings.Join(r.Listed, ","), "allowed", r.Allowed, "unanswered", strings.Join(r.Unanswered, ","))
}

// refusalLogLines is how many refusals of one connection are logged at
// info; the rest at debug, so that a client hammering past a rate writes
// a bounded log (the metric counts them all). A connection refused for
// the connection rate is logged at debug only, for the same reason.
const refusalLogLines = 3

// refuse counts and logs a refusal.
func (c *Client) refuse(check, why, reason string, r *smtpreply.Reply) *Refusal {
	if check != "dnsbl" { // counted with the lists' verdict
		c.s.m.decide(check, "reject")
	}
	c.refusals++
	logf := c.log.Info
	if c.refusals > refusalLogLines || why == "connections" {
		logf = c.log.Debug
	}
	logf("screen: client refused", "check", check, "why", why, "reason", reason, "code", r.Code)
	return &Refusal{Reply: r, Reason: reason}
}
