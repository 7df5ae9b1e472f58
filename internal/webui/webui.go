package webui

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/autoconfig"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// Where the two parts are mounted.
const (
	AdminPrefix   = "/admin/"
	AccountPrefix = "/account/"
)

// Logins checks the web's logins (accounts.Service): the main password
// only, never an app password, and whether the account is an admin.
type Logins interface {
	AuthenticatePassword(ctx context.Context, username, password string) (store.Account, error)
	HasFlag(ctx context.Context, address string, f accounts.Flag) (bool, error)
	// AccountOf is the account that has an address (KindNotFound: none),
	// read on every request to check that a session's account is still
	// the one that logged in, with the same password.
	AccountOf(ctx context.Context, address string) (store.Account, error)
}

// Guard throttles failed logins (*authguard.Guard); nil means none.
type Guard interface {
	Begin(ip netip.Addr, account string) (*authguard.Attempt, authguard.Verdict)
}

// Status is what the dashboard shows of the node besides the queue.
type Status struct {
	DiskFree  int64 // octets free on the data directory's filesystem; -1 unknown
	StoreSize int64 // octets of the store on disk; -1 unknown
}

// Deps are what the pages call. Queue, DKIM, DNS, Sampler and Status may
// be nil: their pages then say so.
type Deps struct {
	Directory *ops.Directory
	Queue     *ops.Queue
	DKIM      *ops.DKIM
	DNS       *ops.DNS
	Logins    Logins
	Guard     Guard
	Sessions  KV
	// Setup is the client configuration shown on the account page.
	Setup   autoconfig.Server
	Sampler *Sampler
	// Scripts keeps the Sieve scripts the filters page edits; nil: the
	// page says the server keeps none.
	Scripts Scripts
	Status  func(ctx context.Context) Status
	// Networks, when not empty, are the only client networks /admin/
	// answers ([http] admin_networks).
	Networks []netip.Prefix
	// SessionTTL is how long a session lasts (default 8 hours).
	SessionTTL time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

// UI is the handler of /admin/ and /account/.
type UI struct {
	Deps
	sess  *sessions
	mux   *http.ServeMux
	pages map[string]*template.Template
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns the web UI; mount it at AdminPrefix and AccountPrefix.
func New(d Deps) *UI {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = 8 * time.Hour
	}
	u := &UI{Deps: d, mux: http.NewServeMux(), pages: parsePages()}
	u.sess = &sessions{kv: d.Sessions, ttl: d.SessionTTL, now: d.Now}
	static, _ := fs.Sub(staticFS, "static")
	for _, p := range []string{AdminPrefix, AccountPrefix} {
		u.mux.Handle("GET "+p+"static/", http.StripPrefix(p+"static/", http.FileServerFS(static)))
	}
	u.adminRoutes()
	u.accountRoutes()
	return u
}

// PurgeSessions deletes the expired sessions (a session is refused once
// expired anyway; this only frees the storage).
func (u *UI) PurgeSessions(ctx context.Context) { u.sess.purge(ctx) }

// allowed reports whether Networks lets ip into the admin part.
func (u *UI) allowed(ip netip.Addr) bool {
	if len(u.Networks) == 0 {
		return true
	}
	for _, n := range u.Networks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// csp allows the embedded stylesheet and inline SVG images, no script,
// no frame, forms posted to this site only.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000") // RFC 6797 §6.1
	}
	if isAdminPath(r.URL.Path) && !u.allowed(clientIP(r)) {
		u.Log.Warn("web admin request refused: client not in the admin networks", "client", clientIP(r).String(), "path", r.URL.Path)
		http.Error(w, "the web admin does not answer this address", http.StatusForbidden)
		return
	}
	if r.TLS == nil {
		// Session cookies are Secure: over plain HTTP nobody could log in,
		// and a password would travel in clear.
		http.Error(w, "the web pages are served over HTTPS only", http.StatusForbidden)
		return
	}
	u.mux.ServeHTTP(w, r)
}

func isAdminPath(p string) bool {
	return p == "/admin" || len(p) >= len(AdminPrefix) && p[:len(AdminPrefix)] == AdminPrefix
}

// clientIP is the address of the client (the connection's peer).
func clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.IPv6Unspecified()
	}
	return ap.Addr().Unmap()
}
