package managesieve

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/netip"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/store"
)

// Config configures a server.
type Config struct {
	// Name names the listener in logs and metrics. Default "managesieve".
	Name string
	// Hostname is named in the greeting. Default "localhost".
	Hostname string
	// TLS enables STARTTLS (RFC 5804 §2.2). nil: no STARTTLS.
	TLS *tls.Config
	// AllowInsecureAuth allows AUTHENTICATE without TLS.
	AllowInsecureAuth bool
	// IdleTimeout is the wait for the first octet of a command, also the
	// bound on each write. Default 10 minutes.
	IdleTimeout time.Duration
	// CommandTimeout bounds the time from the first octet of a command
	// (or SASL response) to its end, literals included, so that a client
	// trickling octets cannot hold its connection. Default 1 minute;
	// never above IdleTimeout.
	CommandTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake after STARTTLS. Default
	// netserve.HandshakeTimeout (30 s).
	HandshakeTimeout time.Duration
	// MaxLineLength bounds each line of a command (its literals apart),
	// CRLF included. Default 8192.
	MaxLineLength int
	// MaxScriptSize bounds a script (PUTSCRIPT, CHECKSCRIPT, HAVESPACE).
	// Default 1 MiB. A literal may be MaxScriptSize+LiteralSlack octets,
	// so that a script a little too large gets NO (QUOTA/MAXSIZE) and the
	// session goes on; a larger literal ends the session. Before login a
	// literal may be MaxLineLength octets at most.
	MaxScriptSize int
	// MaxBadCommands is how many bad commands (unknown, wrong state, bad
	// syntax) a client may send before it has logged in; the next one
	// closes the connection. Default 3.
	MaxBadCommands int
	// MaxCommandsBeforeAuth is how many commands a client may send
	// before it has logged in; the next one closes the connection.
	// Default 20.
	MaxCommandsBeforeAuth int
	// MaxAuthFailures is how many failed logins one connection may have;
	// the last one closes it. Default 3.
	MaxAuthFailures int
	// MaxConnections and MaxConnectionsPerIP bound concurrent
	// connections in total and per client IP. Defaults 100 and 10.
	MaxConnections, MaxConnectionsPerIP int
}

// LiteralSlack is how far a literal may exceed Config.MaxScriptSize and
// still be read (and refused with NO (QUOTA/MAXSIZE)).
const LiteralSlack = 64 << 10

// DefaultMaxScriptSize is Config.MaxScriptSize's default.
const DefaultMaxScriptSize = 1 << 20

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxLineLength, 8192)
	def(&c.MaxScriptSize, DefaultMaxScriptSize)
	def(&c.MaxBadCommands, 3)
	def(&c.MaxCommandsBeforeAuth, 20)
	def(&c.MaxAuthFailures, 3)
	def(&c.MaxConnections, 100)
	def(&c.MaxConnectionsPerIP, 10)
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.Name == "" {
		c.Name = "managesieve"
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = time.Minute
	}
	c.CommandTimeout = min(c.CommandTimeout, c.IdleTimeout)
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = netserve.HandshakeTimeout
	}
	return c
}

// Scripts keeps the accounts' scripts; *sievescripts.Scripts implements
// it. Its errors are sievescripts' (ErrNotFound, ErrActive, ...) or a
// *sieve.Error for a script that does not compile.
type Scripts interface {
	Check(src []byte) error
	Put(ctx context.Context, addr, name string, src []byte) error
	Get(ctx context.Context, addr, name string) ([]byte, error)
	List(ctx context.Context, addr string) ([]sievescripts.Info, error)
	Activate(ctx context.Context, addr, name string) error
	Delete(ctx context.Context, addr, name string) error
	Rename(ctx context.Context, addr, from, to string) error
}

// Authenticator checks passwords; *accounts.Service implements it (the
// main password or an app password). It returns accounts.ErrAuthFailed
// for wrong credentials.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (store.Account, error)
	// NewSASLServer is accounts.Service.NewSASLServer: the mechanisms of
	// accounts.SASLMechanisms (SCRAM-SHA-256(-PLUS), PLAIN, LOGIN).
	NewSASLServer(ctx context.Context, mech string, exporter []byte, creds *accounts.Credentials) sasl.Server
}

// Throttle limits failed logins; *authguard.Guard implements it.
type Throttle interface {
	// Begin reserves a login attempt before its password is checked; the
	// caller settles the Attempt (Failure, Success or Abandon).
	Begin(ip netip.Addr, account string) (*authguard.Attempt, authguard.Verdict)
}

// Deps are the services a server works with.
type Deps struct {
	Scripts Scripts
	Auth    Authenticator
	// Extensions are the Sieve extensions of the SIEVE capability
	// (RFC 5804 §1.7): sieve.Capabilities().
	Extensions []string
	// MaxRedirects is the MAXREDIRECTS capability; 0 leaves it out.
	MaxRedirects int
	// Throttle may be nil: a Guard with the default limits is made.
	Throttle Throttle
	// Logger may be nil: logs are discarded.
	Logger *slog.Logger
	// Limits, when not empty, replace Config.MaxConnections and
	// MaxConnectionsPerIP (netserve.Config.Limits).
	Limits []*netserve.Limiter
	// Metrics may be nil: nothing is counted (NewMetrics makes them).
	Metrics *obs.SessionMetrics
}
