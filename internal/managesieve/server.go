package managesieve

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
)

// Server serves ManageSieve on any number of listeners; connections
// upgrade with STARTTLS (RFC 5804 §2.2). The accept loop, connection
// limits and shutdown are netserve's.
type Server struct {
	cfg      Config
	d        Deps
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
	s := &Server{cfg: cfg, d: d, throttle: d.Throttle, log: d.Logger.With("listener", cfg.Name),
		ctx: ctx, cancel: cancel, metrics: d.Metrics}
	s.ns = netserve.New(netserve.Config{Name: cfg.Name, MaxConnections: cfg.MaxConnections,
		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP, Limits: d.Limits}, s.log, s)
	return s
}

// NewMetrics creates the ManageSieve metrics (petrel_managesieve_*) and
// registers them on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *obs.SessionMetrics {
	return obs.NewSessionMetrics(reg, "managesieve", commandNames)
}

// Serve accepts connections on l until Shutdown, then returns nil; it
// returns other accept errors.
func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(l) }

// Shutdown stops accepting and ends the sessions at their next command
// with BYE (TRYLATER); commands in progress finish until ctx ends, then
// connections are cut and store operations cancelled, and Shutdown
// returns ctx's error.
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
// bounds its time and closes c).
func (s *Server) Refuse(c net.Conn, _ netip.Addr, why netserve.Refusal) {
	r := replyTooMany
	if why == netserve.ShuttingDown {
		r = replyShutdown
	}
	w := bufio.NewWriter(c)
	r.write(w)
	w.Flush()
	c.Close()
}
