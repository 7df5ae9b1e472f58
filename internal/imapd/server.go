package imapd

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/store"
)

// Store is the part of the storage API the IMAP server uses.
type Store interface {
	store.Mail
	Subscribe(account store.AccountID) *store.Subscription
}

// Authenticator checks credentials (accounts.Service implements it). It
// returns an error wrapping a failure the caller cannot tell apart (wrong
// user, wrong password) or a store error.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (store.Account, error)
}

// Guard throttles failed logins; *authguard.Guard implements it. Nil
// means no throttling beyond the per-connection limit.
type Guard interface {
	Check(ip netip.Addr, account string) authguard.Verdict
	Failure(ip netip.Addr, account string)
	Success(ip netip.Addr, account string)
}

// Config configures one server (one listener role: imap or imaps).
type Config struct {
	// Name labels the listener in logs ("imap", "imaps").
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
	// MaxLiteral bounds a string literal other than an APPEND message.
	// Default 1 MiB.
	MaxLiteral int64
	// IdleTimeout is the autologout timer of an authenticated session
	// (RFC 9051 §5.4: at least 30 minutes). Default 30 minutes.
	IdleTimeout time.Duration
	// LoginTimeout is the autologout timer before authentication.
	// Default 1 minute.
	LoginTimeout time.Duration
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
	if c.Name == "" {
		c.Name = "imap"
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 50_000_000
	}
	if c.MaxLiteral <= 0 {
		c.MaxLiteral = 1 << 20
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = time.Minute
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
	// Recent is shared by the servers of one process so that \Recent
	// (RFC 3501) is given to one session only; nil gets a private one.
	Recent *RecentTracker
}

// Server runs IMAP sessions on any number of listeners.
type Server struct {
	cfg    Config
	st     Store
	auth   Authenticator
	guard  Guard
	log    *slog.Logger
	recent *RecentTracker
	conns  *connLimiter

	ctx    context.Context
	cancel context.CancelFunc

	closing   atomic.Bool
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	wg        sync.WaitGroup
}

// New returns a server.
func New(cfg Config, d Deps) *Server {
	cfg = cfg.withDefaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Recent == nil {
		d.Recent = NewRecentTracker()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg: cfg, st: d.Store, auth: d.Auth, guard: d.Guard,
		log: d.Log.With("listener", cfg.Name), recent: d.Recent,
		conns: newConnLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerIP),
		ctx:   ctx, cancel: cancel,
		listeners: map[net.Listener]struct{}{},
		sessions:  map[*session]struct{}{},
	}
}

// Serve accepts connections on l until Shutdown, then returns nil.
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

func (s *Server) accept(c net.Conn) {
	ip := remoteIP(c)
	if !s.conns.acquire(ip) {
		s.log.Info("connection refused: too many connections", "remote", ip)
		go func() {
			defer c.Close()
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte("* BYE [UNAVAILABLE] Too many connections\r\n"))
		}()
		return
	}
	sess := newSession(s, c, ip)
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		s.conns.release(ip)
		c.Close()
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

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// Shutdown stops accepting connections and tells every session to end:
// an idle one (waiting for a command or in IDLE) gets "* BYE" at once, a
// busy one after its command. When ctx ends first, the remaining
// connections are closed and Shutdown returns ctx.Err().
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
	}
	s.cancel()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.conn.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// connLimiter counts concurrent connections in total and per client IP.
type connLimiter struct {
	mu       sync.Mutex
	total    int
	perIP    map[netip.Addr]int
	maxTotal int
	maxPerIP int
}

func newConnLimiter(maxTotal, maxPerIP int) *connLimiter {
	return &connLimiter{perIP: map[netip.Addr]int{}, maxTotal: maxTotal, maxPerIP: maxPerIP}
}

func (l *connLimiter) acquire(ip netip.Addr) bool {
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

func (l *connLimiter) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if ip.IsValid() {
		if l.perIP[ip]--; l.perIP[ip] <= 0 {
			delete(l.perIP, ip)
		}
	}
}

// RecentTracker gives each message's \Recent flag (RFC 3501 §2.3.2) to the
// first session of this process that is told about it. It is kept in
// memory: after a restart the messages present are recent again for the
// first session that selects their mailbox.
type RecentTracker struct {
	mu      sync.Mutex
	claimed map[store.MailboxID]store.UID
}

// NewRecentTracker returns an empty tracker.
func NewRecentTracker() *RecentTracker {
	return &RecentTracker{claimed: map[store.MailboxID]store.UID{}}
}

// claim returns which of uids (ascending) are recent for the caller and,
// when take is set, makes them non-recent for every other session.
func (t *RecentTracker) claim(mb store.MailboxID, uids []store.UID, take bool) []store.UID {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := t.claimed[mb]
	var out []store.UID
	for _, u := range uids {
		if u > last {
			out = append(out, u)
		}
	}
	if take && len(out) > 0 {
		t.claimed[mb] = out[len(out)-1]
	}
	return out
}
