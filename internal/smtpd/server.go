package smtpd

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Delivery is what the server hands transactions to; the delivery service
// implements it.
type Delivery interface {
	// CheckRecipient decides one RCPT TO: nil accepts it (250 2.1.5).
	CheckRecipient(ctx context.Context, env *envelope.Envelope, rcpt envelope.Recipient) *smtpreply.Reply
	// Deliver stores the message for env.Recipients and returns one reply
	// per recipient in the same order; nil means delivered. body also
	// implements io.ReaderAt and io.Seeker; it is valid until Deliver
	// returns.
	Deliver(ctx context.Context, env *envelope.Envelope, body io.Reader, size int64) []*smtpreply.Reply
}

// Config configures one server (one listener role: smtp, lmtp, ...).
type Config struct {
	// Name labels the listener in logs and metrics ("smtp", "lmtp").
	// Default "smtp", or "lmtp" when LMTP is set.
	Name string
	// Hostname is the name in the greeting and EHLO reply, and the domain
	// of the bare <postmaster> recipient. Default "localhost".
	Hostname string
	// LMTP selects RFC 2033 instead of SMTP: LHLO, one reply per
	// recipient after DATA.
	LMTP bool
	// TLS enables STARTTLS (RFC 3207); nil means no STARTTLS.
	TLS *tls.Config
	// ImplicitTLS starts TLS on connect (submissions, RFC 8314); it needs
	// TLS.
	ImplicitTLS bool

	// MaxMessageSize is the SIZE limit in octets (RFC 1870). Default 50 MB.
	MaxMessageSize int64
	// MaxRecipients per transaction (RFC 5321 §4.5.3.1.8). Default 100.
	MaxRecipients int
	// MaxConnectionsPerIP and MaxConnections bound concurrent connections
	// per client IP and in total. Defaults 20 and 1000.
	MaxConnectionsPerIP, MaxConnections int
	// Limits, when not empty, replace MaxConnectionsPerIP and
	// MaxConnections: limiters shared with the other listener of the same
	// service and with other protocols (netserve.Config.Limits).
	Limits []*netserve.Limiter
	// MaxBadCommands is how many bad commands a client may send; the
	// next one is answered 421 4.7.0 and the connection closed. Default 10.
	MaxBadCommands int
	// CommandTimeout bounds the time a command line may take to arrive,
	// from the moment the server waits for it (RFC 5321 §4.5.3.2.7).
	// DataTimeout plus one second per MinDataRate octets received bounds
	// the time the data of DATA, or one BDAT chunk, may take: a deadline,
	// not an idle timeout, so that a client trickling octets cannot hold
	// a session (slowloris). Octets past MaxMessageSize earn no time.
	// Defaults 5 minutes, 5 minutes and 1024 octets per second.
	CommandTimeout, DataTimeout time.Duration
	MinDataRate                 int64
	// HandshakeTimeout bounds the TLS handshake, with implicit TLS and
	// after STARTTLS. Default netserve.HandshakeTimeout (30 s).
	HandshakeTimeout time.Duration
	// RcptErrors throttles clients whose recipients are refused
	// (harvesting, rcptguard.go).
	RcptErrors RcptErrorLimits
	// SpoolDir holds the bodies over 128 KiB while they are received.
	// Default os.TempDir().
	SpoolDir string
	// Space, when set, refuses with 452 4.3.1 at MAIL (against the SIZE
	// declared), DATA and the first BDAT a message that would take the
	// data directory's free space below its floor (space.go).
	Space Space
	// MaxLineLength bounds a command line, CRLF included. Default 2048;
	// values below 512 (RFC 5321 §4.5.3.1.4) are raised to 512.
	MaxLineLength int

	// Extensions add ESMTP extensions (AUTH for submission).
	Extensions []Extension

	// ReverseName, when set, returns the verified host name of a client
	// address (forward-confirmed reverse DNS), or "". It runs while the
	// session starts and must bound its own time; the name goes into the
	// Received header (RFC 5321 §4.4 TCP-info).
	ReverseName func(ctx context.Context, ip netip.Addr) string

	// Screen, when set, screens the clients (screen.go): for the MX
	// only, never submission or LMTP.
	Screen *screen.Screen
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxRecipients, 100)
	def(&c.MaxConnectionsPerIP, 20)
	def(&c.MaxConnections, 1000)
	def(&c.MaxBadCommands, 10)
	def(&c.MaxLineLength, 2048)
	c.MaxLineLength = max(c.MaxLineLength, 512)
	if c.Name == "" {
		c.Name = "smtp"
		if c.LMTP {
			c.Name = "lmtp"
		}
	}
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 50_000_000
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 5 * time.Minute
	}
	if c.DataTimeout <= 0 {
		c.DataTimeout = 5 * time.Minute
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = netserve.HandshakeTimeout
	}
	if c.MinDataRate <= 0 {
		c.MinDataRate = 1024
	}
	c.RcptErrors = c.RcptErrors.withDefaults()
	if c.SpoolDir == "" {
		c.SpoolDir = os.TempDir()
	}
	return c
}

// Server runs SMTP or LMTP sessions on any number of listeners; the
// connection side (accept loop, limits, shutdown) is netserve's.
type Server struct {
	cfg Config
	d   Delivery
	log *slog.Logger
	m   *Metrics
	net *netserve.Server
	// rcptClients counts refused recipients per client (rcptguard.go).
	rcptClients *clientTable

	// ctx is given to Delivery; it is cancelled when Shutdown is over.
	ctx    context.Context
	cancel context.CancelFunc

	// readers and writers keep the buffers of ended sessions for new
	// ones: a client like Postfix's smtp-source opens a connection per
	// message, and 20 KB of buffers a connection were a tenth of what a
	// message allocated (docs/benchmarks.md §SMTP intake profile).
	readers, writers sync.Pool
	// bodies keeps the memory of ended sessions' message bodies (at most
	// 64 KiB each, body.reset) for new sessions: growing a body from
	// nothing allocated 15 KB for a 4 KiB message.
	bodies sync.Pool
}

// New returns a server. A nil m gets metrics registered nowhere.
func New(cfg Config, d Delivery, log *slog.Logger, m *Metrics) *Server {
	cfg = cfg.withDefaults()
	if m == nil {
		m = NewMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, d: d, log: log.With("listener", cfg.Name), m: m, ctx: ctx, cancel: cancel,
		rcptClients: newClientTable(cfg.RcptErrors.Decay)}
	s.net = netserve.New(netserve.Config{Name: cfg.Name, MaxConnections: cfg.MaxConnections,
		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP, Limits: cfg.Limits}, s.log, connHandler{s})
	return s
}

// Serve accepts connections on l until Shutdown, then returns nil; it
// returns other accept errors. It may run on several listeners at once.
func (s *Server) Serve(l net.Listener) error { return s.net.Serve(l) }

// closing reports whether Shutdown has begun.
func (s *Server) closing() bool { return s.net.Closing() }

// connHandler connects netserve to SMTP sessions.
type connHandler struct{ s *Server }

func (h connHandler) NewSession(c net.Conn, ip netip.Addr) netserve.Session {
	h.s.m.connections.WithLabelValues(h.s.cfg.Name).Inc()
	return newSession(h.s, c, ip)
}

// Refuse answers a connection over a limit, or arriving during shutdown,
// without a session (netserve bounds its time and closes c). On an
// implicit-TLS listener the reply goes through TLS, after the handshake
// (RFC 8314 §3.3: the whole session is over TLS).
func (h connHandler) Refuse(c net.Conn, ip netip.Addr, why netserve.Refusal) {
	s := h.s
	s.m.connections.WithLabelValues(s.cfg.Name).Inc()
	r := smtpreply.ShuttingDown(s.cfg.Hostname)
	if why == netserve.TooManyConnections {
		s.m.reject(s.cfg.Name, reasonTooManyConnections)
		r = smtpreply.TooManyConnections(s.cfg.Hostname)
	}
	if s.cfg.ImplicitTLS {
		tc := tls.Server(c, s.cfg.TLS) // the write below runs the handshake
		defer tc.Close()
		c = tc
	}
	writeReply(c, r)
}

// Shutdown stops accepting connections; idle sessions get 421 4.3.2 and
// are closed, sessions in a transaction may finish it until ctx is done,
// then they are closed too and Shutdown returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.net.Shutdown(ctx)
	s.cancel()
	return err
}
