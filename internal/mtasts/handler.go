package mtasts

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// ServeConfig is the policy this server publishes for its domains
// (docs/configuration.md §[mta_sts]).
type ServeConfig struct {
	// Mode is the mode of every domain's policy; "" serves none.
	Mode Mode
	// DomainMode overrides Mode for some domains (A-label form); a ""
	// value serves none for that domain.
	DomainMode map[string]Mode
	// MX are the mx patterns: the server's host name, or the configured
	// MX names.
	MX []string
	// MaxAge is the policy's max_age.
	MaxAge time.Duration
}

// PolicyFor is the policy of domain, with its TextID as ID; ok is false
// when none is served for it.
func (c ServeConfig) PolicyFor(domain string) (p Policy, ok bool) {
	mode := c.Mode
	if m, ok := c.DomainMode[domain]; ok {
		mode = m
	}
	if mode == "" {
		return Policy{}, false
	}
	p = Policy{Mode: mode, MX: c.MX, MaxAge: min(c.MaxAge, MaxMaxAge).Truncate(time.Second)}
	p.ID = p.TextID()
	return p, true
}

// Domains says which domains are this server's.
type Domains interface {
	IsLocalDomain(ctx context.Context, domain string) (bool, error)
}

// Handler serves the policy of each local domain at
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 §3.2, §3.3):
// 200 with media type text/plain; 404 for other paths, for hosts not named
// mta-sts.DOMAIN of a local domain and for domains without a policy; 405
// for methods other than GET and HEAD; 503 when the domains cannot be
// read. It answers any host it is asked for, so it can share the HTTPS
// listener with other handlers by host.
type Handler struct {
	cfg     ServeConfig
	domains Domains
	log     *slog.Logger
}

// NewHandler returns the handler of cfg's policies for domains; log (nil:
// none) gets the errors reading them.
func NewHandler(cfg ServeConfig, domains Domains, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, domains: domains, log: log}
}

// PolicyDomain is the domain whose policy host is the host of an HTTP
// request ("mta-sts.example.org:443" gives "example.org"), or "".
func PolicyDomain(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	d, ok := strings.CutPrefix(host, "mta-sts.")
	if !ok || !validDomain(d) {
		return ""
	}
	return d
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	domain := PolicyDomain(r.Host)
	if r.URL.Path != WellKnownPath || domain == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	local, err := h.domains.IsLocalDomain(r.Context(), domain)
	if err != nil {
		h.log.Warn("mta-sts: cannot tell whether the domain is local", "domain", domain, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	p, ok := h.cfg.PolicyFor(domain)
	if !local || !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(p.Text()))
}
