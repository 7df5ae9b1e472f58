package pop3d

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// Server serves POP3 on any number of listeners. A listener made with
// tls.NewListener is implicit TLS (pop3s, RFC 8314 §3.3); connections of
// other listeners may upgrade with STLS (RFC 2595 §4). The maildrop
// locks are in the store, shared by every server and node on it, so
// pop3 and pop3s may be two Servers, each logging and counting under its
// Config.Name. The accept loop, connection limits and shutdown are
// netserve's.
type Server struct {
	cfg      Config
	st       Store
	auth     Authenticator
	throttle Throttle
	log      *slog.Logger
	ns       *netserve.Server
	metrics  *obs.SessionMetrics

	// ctx is given to the store; cancelled when Shutdown ends or gives up.
	ctx    context.Context
	cancel context.CancelFunc
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
		log: d.Logger.With("listener", cfg.Name), ctx: ctx, cancel: cancel, metrics: d.Metrics,
	}
	s.ns = netserve.New(netserve.Config{Name: cfg.Name, MaxConnections: cfg.MaxConnections,
		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP, Limits: d.Limits}, s.log, s)
	return s
}

// NewMetrics creates the POP3 metrics (petrel_pop3_*, README "POP3")
// and registers them on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *obs.SessionMetrics {
	return obs.NewSessionMetrics(reg, "pop3", commandNames)
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

// lock takes the maildrop lock of an account for a session (RFC 1939
// §8: "the POP3 server acquires an exclusive-access lock on the
// maildrop"): a lease in the store, so that sessions on every node
// exclude each other, renewed while the session lives (store.Lease); the
// lock of a node that crashed expires after Config.LockLease. nil when
// another session holds it.
func (s *Server) lock(ctx context.Context, account store.AccountID, session string) (*store.Lease, error) {
	return store.AcquireLease(ctx, s.st, lockName(account), "pop3 "+session, s.cfg.LockLease)
}

// lockName is the store lock of an account's maildrop.
func lockName(account store.AccountID) string {
	return "pop3/maildrop/" + strconv.FormatInt(int64(account), 10)
}

// newConnID returns a connection's log reference.
func newConnID() string { return obs.NewID() }
