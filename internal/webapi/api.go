package webapi

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// Prefix is where the API is mounted: every route is below it.
const Prefix = "/api/v1/"

// Admins checks the password logins of the API (accounts.Service
// implements it): the main password only, never an app password, and
// whether the account is an admin.
type Admins interface {
	AuthenticatePassword(ctx context.Context, username, password string) (store.Account, error)
	HasFlag(ctx context.Context, address string, f accounts.Flag) (bool, error)
}

// Guard throttles failed logins (*authguard.Guard); nil means none.
type Guard interface {
	Begin(ip netip.Addr, account string) (*authguard.Attempt, authguard.Verdict)
}

// Deps are the operations the API calls. Queue, DKIM, DNS and Logins may
// be nil: their routes then answer 503 (kind unavailable).
type Deps struct {
	Directory *ops.Directory
	Tokens    *ops.Tokens
	Admins    Admins
	Queue     *ops.Queue
	DKIM      *ops.DKIM
	DNS       *ops.DNS
	Logins    *ops.Logins
	Guard     Guard
	Log       *slog.Logger
	// Networks, when not empty, are the only client networks the API
	// answers (the [http] admin_networks of issue 16); others get 403
	// before any credential is looked at.
	Networks []netip.Prefix
}

// api is the handler.
type api struct {
	Deps
	mux *http.ServeMux
	// cop refuses the state-changing requests a browser sends for
	// another site (Sec-Fetch-Site, Origin): a page must not drive the
	// API with an admin's credentials.
	cop *http.CrossOriginProtection
}

// New returns the API handler; mount it at Prefix (its routes are full
// paths: /api/v1/...).
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &api{Deps: d, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection()}
	a.mux.HandleFunc("GET "+Prefix+"openapi.json", serveOpenAPI)
	for _, rt := range a.routes() {
		a.mux.Handle(rt.method+" "+Prefix+rt.path, a.wrap(rt))
	}
	a.mux.HandleFunc(Prefix, a.noRoute)
	return a
}

// allowed reports whether Networks lets ip in.
func (a *api) allowed(ip netip.Addr) bool {
	if len(a.Networks) == 0 {
		return true
	}
	for _, n := range a.Networks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// noRoute answers what no route takes: 405 with Allow (RFC 9110
// §15.5.6) for another method on a known path, else 404; both in JSON,
// like every failure.
func (a *api) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		other := *r
		other.Method = m
		if _, pattern := a.mux.Handler(&other); pattern != "" && pattern != Prefix {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, &apiError{Status: http.StatusNotFound, Kind: kindNotFound, Message: "no such API route; see " + Prefix + "openapi.json"})
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Kind: kindMethod,
		Message: r.Method + " is not allowed here; allowed: " + strings.Join(allow, ", ")})
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.allowed(clientIP(r)) {
		a.Log.Warn("api request refused: client not in the admin networks", "client", clientIP(r).String(), "path", r.URL.Path)
		writeError(w, &apiError{Status: http.StatusForbidden, Kind: kindForbidden, Message: "the admin API does not answer this address"})
		return
	}
	if err := a.cop.Check(r); err != nil {
		a.Log.Warn("api request refused: cross-origin", "client", clientIP(r).String(), "path", r.URL.Path)
		writeError(w, &apiError{Status: http.StatusForbidden, Kind: kindForbidden, Message: "cross-origin requests are refused"})
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000") // RFC 6797 §6.1
	}
	a.mux.ServeHTTP(w, r)
}

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// call is one request to an operation: the handler's input.
type call struct {
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context
}

// arg is the path value name.
func (c *call) arg(name string) string { return c.r.PathValue(name) }

// reply is the outcome of a handler: a status and a body (nil: 204).
type reply struct {
	status int
	body   any
}

func ok(body any) (reply, error)      { return reply{http.StatusOK, body}, nil }
func created(body any) (reply, error) { return reply{http.StatusCreated, body}, nil }
func done(err error) (reply, error)   { return reply{http.StatusNoContent, nil}, err }

// route is one operation of the API.
type route struct {
	method, path string // path below Prefix, with {name} wildcards
	// need is the dependency the route calls; a nil one makes it 503.
	need func(a *api) bool
	h    func(a *api, c *call) (reply, error)
}

// writes reports whether the route changes something.
func (rt route) writes() bool { return rt.method != http.MethodGet && rt.method != http.MethodHead }

// wrap authenticates, authorises, runs and logs one route.
func (a *api) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ae := a.authenticate(w, r)
		if ae != nil {
			writeError(w, ae)
			return
		}
		log := a.Log.With("who", who.name, "method", r.Method, "route", rt.path, "path", r.URL.Path)
		if rt.writes() && who.readOnly {
			log.Warn("api change refused: read-only token")
			writeError(w, &apiError{Status: http.StatusForbidden, Kind: kindForbidden, Message: "this token is read-only"})
			return
		}
		if rt.need != nil && !rt.need(a) {
			writeError(w, &apiError{Status: http.StatusServiceUnavailable, Kind: kindName(ops.KindUnavailable), Message: "this operation is not available on this server"})
			return
		}
		res, err := rt.h(a, &call{w: w, r: r, ctx: r.Context()})
		if err != nil {
			e, internal := toAPIError(err)
			if internal {
				log.Error("api call failed", "status", e.Status, "err", err)
			} else if rt.writes() {
				log.Info("api change refused", "status", e.Status, "kind", e.Kind, "field", e.Field)
			}
			writeError(w, e)
			return
		}
		if rt.writes() {
			log.Info("api change", "status", res.status)
		}
		if res.body == nil {
			w.WriteHeader(res.status)
			return
		}
		writeJSON(w, res.status, res.body)
	})
}
