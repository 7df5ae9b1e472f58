package pop3d

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// Server serves POP3 on any number of listeners. A listener made with
// tls.NewListener is implicit TLS (pop3s, RFC 8314 §3.3); connections of
// other listeners may upgrade with STLS (RFC 2595 §4). One Server holds
// the maildrop locks, so serve pop3 and pop3s from the same one. The
// accept loop, connection limits and shutdown are netserve's.
type Server struct {
	cfg      Config
	st       Store
	auth     Authenticator
	throttle Throttle
	log      *slog.Logger
	ns       *netserve.Server

	// ctx is given to the store; cancelled when Shutdown ends or gives up.
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	locks map[store.AccountID]struct{} // maildrops in use
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
	s := &Server{
		cfg: cfg, st: d.Store, auth: d.Auth, throttle: d.Throttle,
		log: d.Logger.With("listener", "pop3"), ctx: ctx, cancel: cancel,
		locks: map[store.AccountID]struct{}{},
	}
	s.ns = netserve.New(netserve.Config{Name: "pop3", MaxConnections: cfg.MaxConnections,
		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP, Limits: d.Limits}, d.Logger, s)
	return s
}

// Serve accepts connections on l until Shutdown, then returns nil; it
// returns other accept errors.
func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(l) }

// Shutdown stops accepting and ends the sessions at their next command
// (without UPDATE: nothing they marked is deleted, RFC 1939 §6); commands
// in progress finish until ctx ends, then connections are cut and store
// operations cancelled, and Shutdown returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	err := s.ns.Shutdown(ctx)
	s.cancel()
	return err
}

// NewSession starts the session of an accepted connection (netserve).
func (s *Server) NewSession(c net.Conn, ip netip.Addr) netserve.Session {
	return newSession(s, c, ip)
}

// Refuse answers a connection that gets no session (netserve, which
// bounds its time and closes c). Over pop3s c is a *tls.Conn: the TLS
// handshake happens on this write, and Close sends close_notify.
func (s *Server) Refuse(c net.Conn, _ netip.Addr, why netserve.Refusal) {
	r := replyTooMany
	if why == netserve.ShuttingDown {
		r = replyShutdown
	}
	io.WriteString(c, r.statusLine()+"\r\n")
	c.Close()
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
