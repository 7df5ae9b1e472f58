package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Delivery is what the server hands transactions to; the delivery service
// implements it.
type Delivery interface {
	// CheckRecipient decides one RCPT TO: nil accepts it (250 2.1.5).
	CheckRecipient(ctx context.Context, env *delivery.Envelope, rcpt delivery.Recipient) *smtpreply.Reply
	// Deliver stores the message for env.Recipients and returns one reply
	// per recipient in the same order; nil means delivered. body also
	// implements io.ReaderAt and io.Seeker; it is valid until Deliver
	// returns.
	Deliver(ctx context.Context, env *delivery.Envelope, body io.Reader, size int64) []*smtpreply.Reply
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
	// MaxBadCommands is how many bad commands a client may send; the
	// next one is answered 421 4.7.0 and the connection closed. Default 10.
	MaxBadCommands int
	// CommandTimeout bounds the wait for a command line, DataTimeout the
	// wait for each block of message data (RFC 5321 §4.5.3.2). Defaults 5
	// and 10 minutes.
	CommandTimeout, DataTimeout time.Duration
	// SpoolDir holds the bodies over 1 MiB while they are received.
	// Default os.TempDir().
	SpoolDir string
	// MaxLineLength bounds a command line, CRLF included. Default 2048;
	// values below 512 (RFC 5321 §4.5.3.1.4) are raised to 512.
	MaxLineLength int

	// Extensions add ESMTP extensions (AUTH for submission).
	Extensions []Extension
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
		c.DataTimeout = 10 * time.Minute
	}
	if c.SpoolDir == "" {
		c.SpoolDir = os.TempDir()
	}
	return c
}

// Server runs SMTP or LMTP sessions on any number of listeners.
type Server struct {
	cfg     Config
	d       Delivery
	log     *slog.Logger
	m       *Metrics
	limiter *limiter

	// ctx is given to Delivery; it is cancelled when Shutdown gives up.
	ctx    context.Context
	cancel context.CancelFunc

	closing   atomic.Bool
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	wg        sync.WaitGroup
}

// New returns a server. A nil m gets metrics registered nowhere.
func New(cfg Config, d Delivery, log *slog.Logger, m *Metrics) *Server {
	cfg = cfg.withDefaults()
	if m == nil {
		m = NewMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg: cfg, d: d, log: log.With("listener", cfg.Name), m: m,
		limiter: newLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerIP),
		ctx:     ctx, cancel: cancel,
		listeners: map[net.Listener]struct{}{},
		sessions:  map[*session]struct{}{},
	}
}

// Serve accepts connections on l until Shutdown, then returns nil; it
// returns other accept errors. It may run on several listeners at once.
func (s *Server) Serve(l net.Listener) error {
	if !s.track(l) {
		l.Close()
		return nil
	}
	defer s.untrack(l)
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Temporary failures (EMFILE...): wait and go on.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.accept(c)
	}
}

func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, l)
}

// accept applies the connection limits and starts a session.
func (s *Server) accept(c net.Conn) {
	ip := remoteIP(c)
	s.m.connections.WithLabelValues(s.cfg.Name).Inc()
	if !s.limiter.acquire(ip) {
		s.m.reject(s.cfg.Name, reasonTooManyConnections)
		s.log.Info("connection refused: too many connections", "remote", ip)
		go refuse(c, smtpreply.TooManyConnections(s.cfg.Hostname))
		return
	}
	sess := newSession(s, c, ip)
	s.mu.Lock()
	if s.closing.Load() { // Shutdown is waiting for the sessions it knows
		s.mu.Unlock()
		s.limiter.release(ip)
		c.Close()
		return
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.limiter.release(ip)
		defer s.forget(sess)
		sess.run()
	}()
}

func (s *Server) forget(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess)
}

// refuse writes r and closes c, without a session.
func refuse(c net.Conn, r *smtpreply.Reply) {
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	writeReply(c, r)
}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{} // unix socket
}

// Shutdown stops accepting connections; idle sessions get 421 4.3.2 and
// are closed, sessions in a transaction may finish it until ctx is done,
// then they are closed too and Shutdown returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for sess := range s.sessions {
		sess.interruptIfIdle()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
	}
	s.cancel()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.raw.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}
