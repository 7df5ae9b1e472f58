package pop3d

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
	"github.com/petrelmail/petrel/internal/store"
)

// Config configures a server.
type Config struct {
	// Name names the listener in logs and metrics ("pop3", "pop3s").
	// Default "pop3".
	Name string
	// Hostname is named in the greeting. Default "localhost".
	Hostname string
	// TLS enables STLS (RFC 2595) on plain connections, and is what an
	// implicit-TLS listener (RFC 8314) was made with. nil: no STLS.
	TLS *tls.Config
	// AllowInsecureAuth allows USER/PASS and AUTH without TLS.
	AllowInsecureAuth bool
	// IdleTimeout is the inactivity autologout timer: the wait for the
	// first octet of a command, also the bound on each write. RFC 1939
	// §3: at least 10 minutes, the default; shorter values are for tests
	// only.
	IdleTimeout time.Duration
	// LineTimeout bounds the time from the first octet of a command line
	// (or SASL response) to its end, so that a client trickling octets
	// cannot hold its connection. Default 30 s; never above IdleTimeout.
	LineTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake, on pop3s and after STLS.
	// Default netserve.HandshakeTimeout (30 s).
	HandshakeTimeout time.Duration
	// MaxLineLength bounds a command line, CRLF included. Default 1024
	// (RFC 2449 §4 asks clients for at most 255).
	MaxLineLength int
	// MaxSASLLineLength bounds a SASL response line. Default 8192.
	MaxSASLLineLength int
	// MaxBadCommands is how many bad commands (unknown, wrong state, bad
	// syntax, over-long) a client may send before it has logged in; the
	// next one closes the connection. Default 3.
	MaxBadCommands int
	// MaxAuthFailures is how many failed logins one connection may have;
	// the last one closes it. Default 3.
	MaxAuthFailures int
	// MaxConnections and MaxConnectionsPerIP bound concurrent
	// connections in total and per client IP. Defaults 1000 and 20.
	MaxConnections, MaxConnectionsPerIP int
	// SeenFlushDelay is how long the \Seen flags of retrieved messages
	// may wait to be stored in one batch. Default 500 ms.
	SeenFlushDelay time.Duration
	// LockLease is the lifetime of a maildrop lock in the store without
	// renewal: the session renews it every third of it, and the lock of
	// a node that crashed holds the maildrop this long at most. Default
	// 1 minute.
	LockLease time.Duration
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxLineLength, 1024)
	def(&c.MaxSASLLineLength, 8192)
	def(&c.MaxBadCommands, 3)
	def(&c.MaxAuthFailures, 3)
	def(&c.MaxConnections, 1000)
	def(&c.MaxConnectionsPerIP, 20)
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.Name == "" {
		c.Name = "pop3"
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	if c.LineTimeout <= 0 {
		c.LineTimeout = 30 * time.Second
	}
	c.LineTimeout = min(c.LineTimeout, c.IdleTimeout)
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = netserve.HandshakeTimeout
	}
	if c.SeenFlushDelay <= 0 {
		c.SeenFlushDelay = 500 * time.Millisecond
	}
	if c.LockLease <= 0 {
		c.LockLease = time.Minute
	}
	return c
}

// Store is the part of the store API a POP3 server uses.
type Store interface {
	Mailbox(ctx context.Context, account store.AccountID, name string) (store.Mailbox, error)
	Messages(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.Message, error)
	WireSizes(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.SizedMessage, error)
	OpenBlob(ctx context.Context, blob store.BlobID) (store.Blob, error)
	StoreFlags(ctx context.Context, mailbox store.MailboxID, uids []store.UID, change store.FlagChange) (store.FlagResult, error)
	Expunge(ctx context.Context, mailbox store.MailboxID, uids []store.UID) ([]store.UID, error)
	Subscribe(account store.AccountID) *store.Subscription
	// Locks hold the maildrop locks, shared by the nodes on the store.
	store.Locks
}

// Authenticator checks passwords and runs SASL mechanisms;
// *accounts.Service implements it. It returns accounts.ErrAuthFailed for
// wrong credentials.
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
	Store Store
	Auth  Authenticator
	// Throttle may be nil: a Guard with the default limits is made.
	Throttle Throttle
	// Logger may be nil: logs are discarded.
	Logger *slog.Logger
	// Limits, when not empty, replace Config.MaxConnections and
	// MaxConnectionsPerIP: limiters shared with other protocols
	// (netserve.Config.Limits).
	Limits []*netserve.Limiter
	// Metrics may be nil: nothing is counted (NewMetrics makes them).
	Metrics *obs.SessionMetrics
}
