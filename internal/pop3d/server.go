package pop3d

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// Server serves POP3 on any number of listeners. A listener made with
// tls.NewListener is implicit TLS (pop3s, RFC 8314 §3.3); connections of
// other listeners may upgrade with STLS (RFC 2595 §4). One Server holds
// the maildrop locks, so serve pop3 and pop3s from the same one.
type Server struct {
	cfg      Config
	st       Store
	auth     Authenticator
	throttle Throttle
	log      *slog.Logger

	// ctx is given to the store; cancelled when Shutdown gives up.
	ctx    context.Context
	cancel context.CancelFunc

	closing   atomic.Bool
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	conns     *connLimiter
	locks     map[store.AccountID]struct{} // maildrops in use
	wg        sync.WaitGroup
}

// New returns a server.
func New(cfg Config, d Deps) *Server {
	cfg = cfg.withDefaults()
	if d.Throttle == nil {
		d.Throttle = authguard.New(authguard.Config{})
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg: cfg, st: d.Store, auth: d.Auth, throttle: d.Throttle,
		log: d.Logger.With("listener", "pop3"), ctx: ctx, cancel: cancel,
		listeners: map[net.Listener]struct{}{},
		sessions:  map[*session]struct{}{},
		conns:     newConnLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerIP),
		locks:     map[store.AccountID]struct{}{},
	}
}

// Serve accepts connections on l until Shutdown, then returns nil; it
// returns other accept errors.
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
	if !s.conns.acquire(ip) {
		s.log.Info("connection refused: too many connections", "remote", ip)
		go refuse(c, replyTooMany, s.cfg.IdleTimeout)
		return
	}
	sess := newSession(s, c, ip)
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		s.conns.release(ip)
		go refuse(c, replyShutdown, s.cfg.IdleTimeout)
		return
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.conns.release(ip)
		defer s.forget(sess)
		sess.run()
	}()
}

func (s *Server) forget(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess)
}

// refuse answers r and closes c (over plain TCP, or the TLS of a pop3s
// listener: the greeting is the first thing sent either way).
func refuse(c net.Conn, r Reply, timeout time.Duration) {
	c.SetDeadline(time.Now().Add(min(timeout, 10*time.Second)))
	io.WriteString(c, r.statusLine()+"\r\n")
	c.Close()
}

// Shutdown stops accepting, ends the sessions waiting for a command
// (without UPDATE: nothing they marked is deleted, RFC 1939 §6), lets
// commands in progress finish, and waits for the sessions until ctx ends;
// then it cuts the rest and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for sess := range s.sessions {
		sess.interrupt()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		s.mu.Lock()
		for sess := range s.sessions {
			sess.conn().Close()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// lock takes the maildrop lock of an account (RFC 1939 §8: "the POP3
// server acquires an exclusive-access lock on the maildrop").
func (s *Server) lock(account store.AccountID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.locks[account]; busy {
		return false
	}
	s.locks[account] = struct{}{}
	return true
}

func (s *Server) unlock(account store.AccountID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.locks, account)
}

// newConnID returns a connection's log reference.
func newConnID() string { return obs.NewID() }

func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// connLimiter counts concurrent connections in total and per client IP.
type connLimiter struct {
	mu              sync.Mutex
	total, maxTotal int
	perIP           map[netip.Addr]int
	maxPerIP        int
}

func newConnLimiter(maxTotal, maxPerIP int) *connLimiter {
	return &connLimiter{maxTotal: maxTotal, maxPerIP: maxPerIP, perIP: map[netip.Addr]int{}}
}

func (l *connLimiter) acquire(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxTotal || l.perIP[ip] >= l.maxPerIP {
		return false
	}
	l.total++
	l.perIP[ip]++
	return true
}

func (l *connLimiter) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}
