package imapd

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// Store is the part of the storage API the IMAP server uses.
type Store interface {
	store.Mail
	store.BulkReader
	Subscribe(account store.AccountID) *store.Subscription
	// Recent keeps the \Recent boundaries, shared by every node on the
	// store (recentTracker).
	store.Recent
	// KV and Locks keep the METADATA entries (metadata_store.go).
	store.KV
	store.Locks
}

// Authenticator checks credentials (accounts.Service implements it). It
// returns an error wrapping a failure the caller cannot tell apart (wrong
// user, wrong password) or a store error.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (store.Account, error)
	// NewSASLServer is accounts.Service.NewSASLServer (AUTHENTICATE
	// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS: cmd_authsasl.go).
	NewSASLServer(ctx context.Context, mech string, exporter []byte, creds *accounts.Credentials) sasl.Server
}

// Guard throttles failed logins; *authguard.Guard implements it. Nil
// means no throttling beyond the per-connection limit.
type Guard interface {
	// Begin reserves a login attempt before its password is checked; the
	// caller settles the Attempt (Failure, Success or Abandon).
	Begin(ip netip.Addr, account string) (*authguard.Attempt, authguard.Verdict)
}

// Config configures one server (one listener role: imap or imaps).
type Config struct {
	// Name labels the listener in logs and metrics ("imap", "imaps").
	Name string
	// TLS enables STARTTLS (RFC 9051 §6.2.1); nil means none.
	TLS *tls.Config
	// ImplicitTLS starts TLS on connect (RFC 8314); it needs TLS.
	ImplicitTLS bool
	// AllowInsecureAuth allows LOGIN and AUTHENTICATE without TLS.
	AllowInsecureAuth bool
	// MaxMessageSize is the APPENDLIMIT (RFC 7889). Default 50 MB.
	MaxMessageSize int64
	// MaxLineLength bounds a command line (literals excluded). Default
	// 64 KiB (RFC 7162 §4 asks for at least 8192 octets).
	MaxLineLength int
	// MaxLiteral bounds the string literals of one command together,
	// APPEND messages excepted. Default 1 MiB.
	MaxLiteral int64
	// IdleTimeout is the autologout timer of an authenticated session
	// (RFC 9051 §5.4: at least 30 minutes). Default 30 minutes.
	IdleTimeout time.Duration
	// LoginTimeout is the autologout timer before authentication.
	// Default 1 minute.
	LoginTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake, of an implicit-TLS
	// listener and after STARTTLS. Default netserve.HandshakeTimeout
	// (30 s).
	HandshakeTimeout time.Duration
	// CommandTimeout and MinTransferRate bound the time a command takes
	// to arrive once its first octet has: CommandTimeout (at most the
	// autologout timer), plus one second per MinTransferRate octets
	// received (cmdclock.go). Defaults 1 minute and 1024 octets/second.
	CommandTimeout  time.Duration
	MinTransferRate int64
	// MaxConnections and MaxConnectionsPerIP bound concurrent
	// connections. Defaults 10000 and 50.
	MaxConnections, MaxConnectionsPerIP int
	// MaxBadCommands is how many BAD responses a session may earn before
	// it is closed with BYE. Default 20.
	MaxBadCommands int
	// MaxAuthFailures per connection before BYE. Default 3.
	MaxAuthFailures int
	// SpoolDir holds large APPEND messages while they are received.
	// Default os.TempDir().
	SpoolDir string
	// IndexRecords bounds the message records (24 bytes each) that the
	// mailbox index keeps for the mailboxes used lately (the one in use
	// is always kept). Default 1,000,000.
	IndexRecords int
	// ItemCacheBytes bounds the cache of encoded ENVELOPE, BODYSTRUCTURE,
	// BODY and PREVIEW responses. Default 32 MiB.
	ItemCacheBytes int
	// MaxAppendTotal bounds the octets of all the messages of one APPEND
	// or MULTIAPPEND command, which are all received before any is
	// stored. Default 256 MiB, and never below MaxMessageSize.
	MaxAppendTotal int64
	// MetadataMaxSize bounds one METADATA value, in octets (RFC 5464
	// MAXSIZE); MetadataMaxEntries the entries of one mailbox (or of
	// the server entries of an account); MetadataMaxAccountBytes the
	// names and values of all of an account's entries. Defaults 64 KiB,
	// 256 and 1 MiB.
	MetadataMaxSize         int64
	MetadataMaxEntries      int
	MetadataMaxAccountBytes int64
	// MetadataAdmin and MetadataComment are the server's /shared/admin
	// (a URI: "mailto:postmaster@example.org") and /shared/comment
	// METADATA entries (RFC 5464 §3.2.1.1); empty: none.
	MetadataAdmin, MetadataComment string
	// ProgressInterval is how long a SEARCH or FETCH runs before it
	// sends INPROGRESS responses (RFC 9585), and the time between them.
	// Default 5 seconds.
	ProgressInterval time.Duration
	// MaxCompressors bounds the COMPRESS sessions (RFC 4978) writing
	// compressed responses at once, each with a compressor of about
	// 0.8 MB; a burst that finds none free goes out in stored DEFLATE
	// blocks (cmd_compress.go). Default 64.
	MaxCompressors int
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxLineLength, 64<<10)
	def(&c.MaxConnections, 10000)
	def(&c.MaxConnectionsPerIP, 50)
	def(&c.MaxBadCommands, 20)
	def(&c.MaxAuthFailures, 3)
	def(&c.IndexRecords, 1_000_000)
	def(&c.ItemCacheBytes, 32<<20)
	def(&c.MetadataMaxEntries, 256)
	if c.MetadataMaxSize <= 0 {
		c.MetadataMaxSize = 64 << 10
	}
	if c.MetadataMaxAccountBytes <= 0 {
		c.MetadataMaxAccountBytes = 1 << 20
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 5 * time.Second
	}
	def(&c.MaxCompressors, 64)
	if c.Name == "" {
		c.Name = "imap"
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 50_000_000
	}
	if c.MaxAppendTotal <= 0 {
		c.MaxAppendTotal = 256 << 20
	}
	c.MaxAppendTotal = max(c.MaxAppendTotal, c.MaxMessageSize)
	if c.MaxLiteral <= 0 {
		c.MaxLiteral = 1 << 20
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = time.Minute
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = netserve.HandshakeTimeout
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = time.Minute
	}
	if c.MinTransferRate <= 0 {
		c.MinTransferRate = 1024
	}
	if c.SpoolDir == "" {
		c.SpoolDir = os.TempDir()
	}
	return c
}

// Deps are the server's collaborators.
type Deps struct {
	Store Store
	Auth  Authenticator
	Guard Guard // may be nil
	Log   *slog.Logger
	// Limits, when not empty, replace Config.MaxConnections and
	// MaxConnectionsPerIP: limiters shared with the other IMAP listener
	// and with other protocols (netserve.Config.Limits).
	Limits []*netserve.Limiter
	// Space, when set, refuses an APPEND message that would take the
	// data directory's free space below its floor, before the client
	// sends it (README "Storage"); nil = no check.
	Space Space
	// Metrics may be nil: nothing is counted. One set serves both IMAP
	// listeners (NewMetrics; the "listener" label tells them apart).
	Metrics *obs.SessionMetrics
	// Junk hears of messages filed into Junk or out of it (junk.go);
	// nil = nobody.
	Junk JunkReporter
	// ACL keeps the rights on shared mailboxes (RFC 4314; acl.go); nil:
	// no sharing (no ACL capability, no "Other Users" namespace).
	ACL ACLStore
}

// Server runs IMAP sessions on any number of listeners; the connection
// side (accept loop, limits, shutdown) is netserve's.
type Server struct {
	cfg     Config
	st      Store
	auth    Authenticator
	guard   Guard
	log     *slog.Logger
	recent  *recentTracker
	space   Space
	index   *indexCache
	junk    JunkReporter
	acl     ACLStore
	items   *itemCache
	sorts   *sortCache // SORT and THREAD keys (sortcache.go)
	net     *netserve.Server
	metrics *obs.SessionMetrics
	// compressors holds a token per compressor in use (MaxCompressors).
	compressors chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a server.
func New(cfg Config, d Deps) *Server {
	cfg = cfg.withDefaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, st: d.Store, auth: d.Auth, guard: d.Guard,
		log: d.Log.With("listener", cfg.Name), space: d.Space,
		index: newIndexCache(d.Store, cfg.IndexRecords),
		items: newItemCache(cfg.ItemCacheBytes),
		sorts: newSortCache(sortCacheBytes),
		ctx:   ctx, cancel: cancel, metrics: d.Metrics, junk: d.Junk, acl: d.ACL,
		compressors: make(chan struct{}, cfg.MaxCompressors),
	}
	s.recent = &recentTracker{ctx: ctx, st: d.Store, log: s.log}
	s.net = netserve.New(netserve.Config{Name: cfg.Name, MaxConnections: cfg.MaxConnections,
		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP, Limits: d.Limits}, s.log, connHandler{s})
	return s
}

// NewMetrics creates the IMAP metrics (petrel_imap_*, README "IMAP"),
// the command label limited to the commands of the table, and registers
// them on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *obs.SessionMetrics {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	return obs.NewSessionMetrics(reg, "imap", names)
}

// Serve accepts connections on l until Shutdown, then returns nil.
func (s *Server) Serve(l net.Listener) error { return s.net.Serve(l) }

// connHandler connects netserve to IMAP sessions.
type connHandler struct{ s *Server }

func (h connHandler) NewSession(c net.Conn, ip netip.Addr) netserve.Session {
	return newSession(h.s, c, ip)
}

// Refuse answers a connection over a limit, or arriving during shutdown,
// with an untagged BYE (RFC 9051 §7.1.5); netserve bounds its time and
// closes c. On an implicit-TLS listener the BYE goes through TLS, after
// the handshake (RFC 8314 §3.3).
func (h connHandler) Refuse(c net.Conn, _ netip.Addr, why netserve.Refusal) {
	if h.s.cfg.ImplicitTLS {
		tc := tls.Server(c, h.s.cfg.TLS) // the write below runs the handshake
		defer tc.Close()
		c = tc
	}
	if why == netserve.TooManyConnections {
		c.Write([]byte("* BYE [UNAVAILABLE] Too many connections\r\n"))
	} else {
		c.Write([]byte("* BYE [UNAVAILABLE] Server shutting down\r\n"))
	}
}

// Shutdown stops accepting connections and tells every session to end:
// an idle one (waiting for a command or in IDLE) gets "* BYE" at once, a
// busy one after its command. When ctx ends first, the remaining
// connections are closed and Shutdown returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.net.Shutdown(ctx)
	s.cancel()
	return err
}

// recentTracker gives each message's \Recent flag (RFC 3501 §2.3.2) to
// one session: the first, on any node sharing the store, that raises the
// mailbox's boundary in the store over it (store.Recent,
// docs/architecture.md §Shared state). The boundary survives restarts.
type recentTracker struct {
	ctx context.Context // the server's: ends with Shutdown
	st  store.Recent
	log *slog.Logger

	// known holds, per mailbox, a boundary this server has seen. The
	// boundary only rises, so when it is at or above every UID asked
	// about, none is recent and the store is not asked: a SELECT
	// without new mail costs nothing.
	mu    sync.Mutex
	known map[store.MailboxID]store.UID
}

// recentTimeout bounds one store call of the tracker; maxKnown bounds
// the mailboxes the tracker remembers (past it, it starts afresh).
const (
	recentTimeout = 30 * time.Second
	maxKnown      = 100_000
)

func (t *recentTracker) knownAbove(mb store.MailboxID, uid store.UID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.known[mb] >= uid
}

func (t *recentTracker) learn(mb store.MailboxID, boundary store.UID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.known == nil || len(t.known) >= maxKnown {
		t.known = map[store.MailboxID]store.UID{}
	}
	t.known[mb] = max(t.known[mb], boundary)
}

// claim returns which of uids (ascending) are recent for the caller and,
// when take is set, makes them non-recent for every other session. When
// the store fails, no message is recent for the caller: \Recent is
// advisory (IMAP4rev2, RFC 9051 Appendix E, dropped it), not worth
// failing a SELECT for.
func (t *recentTracker) claim(mb store.MailboxID, uids []store.UID, take bool) []store.UID {
	if len(uids) == 0 || t.knownAbove(mb, uids[len(uids)-1]) {
		return nil
	}
	ctx, cancel := context.WithTimeout(t.ctx, recentTimeout)
	defer cancel()
	var boundary store.UID
	var err error
	if take {
		boundary, err = t.st.ClaimRecent(ctx, mb, uids[len(uids)-1])
	} else {
		boundary, err = t.st.RecentUID(ctx, mb)
	}
	if err != nil {
		t.log.Warn("\\Recent: store failure, no message shown as recent", "mailbox", mb, "err", err)
		return nil
	}
	if take {
		t.learn(mb, max(boundary, uids[len(uids)-1]))
	} else {
		t.learn(mb, boundary)
	}
	i, found := slices.BinarySearch(uids, boundary)
	if found {
		i++
	}
	return slices.Clone(uids[i:])
}
