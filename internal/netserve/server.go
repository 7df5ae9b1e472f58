package netserve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Session is one connection's protocol session.
type Session interface {
	// Run serves the connection until the session ends.
	Run()
	// Interrupt asks the session to end at its next idle point with the
	// protocol's goodbye. It must not block.
	Interrupt()
	// Close force-closes the connection.
	Close()
}

// Refusal says why a connection gets no session.
type Refusal int

const (
	TooManyConnections Refusal = iota + 1
	ShuttingDown
)

// Config configures a Server.
type Config struct {
	Name                string // for logs
	MaxConnections      int    // in total; <= 0 means 1000
	MaxConnectionsPerIP int    // per client IP; <= 0 means 20
	// Limits, when not empty, replace MaxConnections and
	// MaxConnectionsPerIP: a connection takes a slot in each limiter or
	// is refused. Limiters shared with other Servers count connections
	// across all of them.
	Limits []*Limiter
	// MaxRefusals bounds the refusals in progress (each may run a TLS
	// handshake); connections refused past it are closed without a word.
	// <= 0 means 64.
	MaxRefusals int
}

// Handler makes sessions: NewSession for an accepted connection, Refuse
// for one over a limit or arriving during shutdown. Refuse writes the
// protocol's refusal (after the TLS handshake on an implicit-TLS
// listener); it runs in its own goroutine, with a deadline of
// RefuseTimeout set on c, which is closed when Refuse returns.
type Handler interface {
	NewSession(c net.Conn, ip netip.Addr) Session
	Refuse(c net.Conn, ip netip.Addr, why Refusal)
}

// Server accepts connections on any number of listeners.
type Server struct {
	cfg      Config
	log      *slog.Logger
	h        Handler
	limits   limits
	conns    atomic.Int64  // connections of this server holding slots
	refusing chan struct{} // a token per refusal in progress
	refusals rateLog

	closing   atomic.Bool
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[Session]struct{}
	wg        sync.WaitGroup
}

// New returns a server.
func New(cfg Config, log *slog.Logger, h Handler) *Server {
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 1000
	}
	if cfg.MaxConnectionsPerIP <= 0 {
		cfg.MaxConnectionsPerIP = 20
	}
	if cfg.MaxRefusals <= 0 {
		cfg.MaxRefusals = 64
	}
	ls := limits(cfg.Limits)
	if len(ls) == 0 {
		ls = limits{NewLimiter(cfg.Name, cfg.MaxConnections, cfg.MaxConnectionsPerIP)}
	}
	return &Server{cfg: cfg, log: log, h: h, limits: ls,
		refusing:  make(chan struct{}, cfg.MaxRefusals),
		listeners: map[net.Listener]struct{}{},
		sessions:  map[Session]struct{}{},
	}
}

// Closing reports whether Shutdown has begun.
func (s *Server) Closing() bool { return s.closing.Load() }

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
			s.log.Warn("accept failed", "err", err, "retry_in_ms", backoff.Milliseconds())
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
	ip := RemoteIP(c)
	if full := s.limits.acquire(ip); full != nil {
		if log, unlogged := s.refusals.next(time.Now()); log {
			s.log.Info("connection refused: too many connections", "remote", Remote(ip),
				"limit", full.name, "unlogged_refusals", unlogged)
		}
		s.refuse(c, ip, TooManyConnections)
		return
	}
	s.conns.Add(1)
	s.mu.Lock()
	if s.closing.Load() { // Shutdown is waiting for the sessions it knows
		s.mu.Unlock()
		s.release(ip)
		s.refuse(c, ip, ShuttingDown)
		return
	}
	sess := s.h.NewSession(c, ip)
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.release(ip)
		defer s.forget(sess)
		sess.Run()
	}()
}

func (s *Server) release(ip netip.Addr) {
	s.limits.release(ip)
	s.conns.Add(-1)
}

// refuse has the handler refuse c in a goroutine of its own, within
// RefuseTimeout; past MaxRefusals in progress, c is closed at once, so
// that a flood of connections over the limits costs no handshakes.
func (s *Server) refuse(c net.Conn, ip netip.Addr, why Refusal) {
	select {
	case s.refusing <- struct{}{}:
	default:
		s.log.Debug("connection closed: too many refusals in progress", "remote", Remote(ip))
		c.Close()
		return
	}
	go func() {
		defer func() { <-s.refusing }()
		defer c.Close()
		c.SetDeadline(time.Now().Add(RefuseTimeout))
		s.h.Refuse(c, ip, why)
	}()
}

// rateLog lets one log line a second through, so that a flood of
// connections over a limit cannot flood the log; the line says how many
// went unlogged before it.
type rateLog struct {
	mu       sync.Mutex
	last     time.Time
	unlogged int
}

func (r *rateLog) next(now time.Time) (log bool, unlogged int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.last) < time.Second {
		r.unlogged++
		return false, 0
	}
	r.last, unlogged, r.unlogged = now, r.unlogged, 0
	return true, unlogged
}

func (s *Server) forget(sess Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess)
}

// Shutdown stops accepting, interrupts every session and waits for them to
// end. When ctx ends first, the remaining connections are closed and
// Shutdown returns ctx.Err() once their sessions have returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for sess := range s.sessions {
		sess.Interrupt()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for sess := range s.sessions {
		sess.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// Remote names the client in logs (the "remote" field, docs/flow.md
// "Tracing a message"): its IP address, or "local" for a unix socket.
func Remote(ip netip.Addr) string {
	if !ip.IsValid() {
		return "local"
	}
	return ip.String()
}

// RemoteIP is the client's IP address, or the zero Addr for a unix socket.
func RemoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// Connections is the number of this server's connections holding a slot
// now.
func (s *Server) Connections() int { return int(s.conns.Load()) }
