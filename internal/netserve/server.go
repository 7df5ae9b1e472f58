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
}

// Handler makes sessions: NewSession for an accepted connection, Refuse
// for one over a limit or arriving during shutdown (write the protocol's
// refusal and close c; it runs in its own goroutine).
type Handler interface {
	NewSession(c net.Conn, ip netip.Addr) Session
	Refuse(c net.Conn, ip netip.Addr, why Refusal)
}

// Server accepts connections on any number of listeners.
type Server struct {
	cfg     Config
	log     *slog.Logger
	h       Handler
	limiter *limiter

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
	return &Server{cfg: cfg, log: log, h: h,
		limiter:   newLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerIP),
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
			s.log.Warn("accept failed", "listener", s.cfg.Name, "err", err, "retry_in", backoff)
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
	if !s.limiter.acquire(ip) {
		s.log.Info("connection refused: too many connections", "listener", s.cfg.Name, "remote", ip)
		go s.h.Refuse(c, ip, TooManyConnections)
		return
	}
	s.mu.Lock()
	if s.closing.Load() { // Shutdown is waiting for the sessions it knows
		s.mu.Unlock()
		s.limiter.release(ip)
		go s.h.Refuse(c, ip, ShuttingDown)
		return
	}
	sess := s.h.NewSession(c, ip)
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.limiter.release(ip)
		defer s.forget(sess)
		sess.Run()
	}()
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

// RemoteIP is the client's IP address, or the zero Addr for a unix socket.
func RemoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// limiter counts concurrent connections in total and per client IP.
type limiter struct {
	mu       sync.Mutex
	total    int
	perIP    map[netip.Addr]int
	maxTotal int
	maxPerIP int
}

func newLimiter(maxTotal, maxPerIP int) *limiter {
	return &limiter{perIP: map[netip.Addr]int{}, maxTotal: maxTotal, maxPerIP: maxPerIP}
}

// acquire takes a slot for ip, or reports false when a limit is reached.
// An invalid ip (a unix socket peer) counts in the total only.
func (l *limiter) acquire(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxTotal || (ip.IsValid() && l.perIP[ip] >= l.maxPerIP) {
		return false
	}
	l.total++
	if ip.IsValid() {
		l.perIP[ip]++
	}
	return true
}

func (l *limiter) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if !ip.IsValid() {
		return
	}
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// Connections is the number of connections holding a slot now.
func (s *Server) Connections() int {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	return s.limiter.total
}
