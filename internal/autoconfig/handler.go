package autoconfig

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// The paths the Handler serves, in lower case; requests match them in
// any case (Outlook writes /Autodiscover/Autodiscover.xml).
const (
	// PathAutoconfig is Thunderbird's on autoconfig.DOMAIN, with
	// ?emailaddress=ADDRESS.
	PathAutoconfig = "/mail/config-v1.1.xml"
	// PathWellKnownAutoconfig is Thunderbird's on DOMAIN itself.
	PathWellKnownAutoconfig = "/.well-known/autoconfig/mail/config-v1.1.xml"
	// PathAutodiscover takes the POSTed XML request (Outlook, and
	// Thunderbird after autoconfig).
	PathAutodiscover = autodiscover
	// PathAutodiscoverJSON is the JSON form: ?Email=ADDRESS&Protocol=...
	// or /v1.0/ADDRESS?Protocol=... below it.
	PathAutodiscoverJSON = "/autodiscover/autodiscover.json"
	// PathMobileConfig serves the Apple profile of ?emailaddress=ADDRESS.
	PathMobileConfig = "/apple/mail.mobileconfig"
)

// LocalDomains tells whether a domain (canonical A-label form) is one of
// the server's: only those are answered.
type LocalDomains interface {
	IsLocalDomain(ctx context.Context, domain string) (bool, error)
}

// Handler serves the documents of a Server for the local domains.
type Handler struct {
	srv     Server
	domains LocalDomains
	log     *slog.Logger
}

// New returns the handler of srv's documents for the domains that
// domains says are local; log (nil: none) gets the failures of that
// check.
func New(srv Server, domains LocalDomains, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{srv: srv, domains: domains, log: log}
}

// Wrap serves the paths of the Handler (Serves) and passes every other
// request to next.
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.Serves(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Serves reports whether path is one of the Handler's.
func (h *Handler) Serves(path string) bool { return h.route(path) != nil }

// ServeHTTP serves one document, or 404 for a path that is not one.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve := h.route(r.URL.Path)
	if serve == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	serve(w, r)
}

// route is the function serving path, or nil.
func (h *Handler) route(path string) http.HandlerFunc {
	p := strings.ToLower(path)
	switch {
	case p == PathAutoconfig || p == PathWellKnownAutoconfig:
		return h.thunderbird
	case p == PathAutodiscover:
		return h.autodiscover
	case p == PathAutodiscoverJSON || strings.HasPrefix(p, PathAutodiscoverJSON+"/v1.0/"):
		return h.autodiscoverJSON
	case p == PathMobileConfig:
		return h.mobileConfig
	}
	return nil
}

// local reports whether domain is local: ok false means the reply was
// written (404, or 503 when the directory failed).
func (h *Handler) local(w http.ResponseWriter, r *http.Request, domain string, fail func(status int, message string)) bool {
	ok, err := h.domains.IsLocalDomain(r.Context(), domain)
	switch {
	case err != nil:
		h.log.Warn("autoconfig: cannot tell whether the domain is local", "domain", domain, "err", err)
		fail(http.StatusServiceUnavailable, "try again later")
	case !ok:
		fail(http.StatusNotFound, "not a domain of this server")
	}
	return err == nil && ok
}

// textError writes a short plain-text reply: never Go error text.
func textError(w http.ResponseWriter) func(int, string) {
	return func(status int, message string) {
		http.Error(w, http.StatusText(status)+": "+message, status)
	}
}

// getOnly answers 405 to a method other than GET and HEAD.
func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	textError(w)(http.StatusMethodNotAllowed, "use GET")
	return false
}

// thunderbird serves the autoconfig document of the domain of
// ?emailaddress=, or of the Host's domain without it.
func (h *Handler) thunderbird(w http.ResponseWriter, r *http.Request) {
	fail := textError(w)
	if !getOnly(w, r) {
		return
	}
	domain := hostDomain(r.Host)
	if email := r.URL.Query().Get("emailaddress"); email != "" {
		addr, err := ParseAddress(email)
		if err != nil {
			fail(http.StatusBadRequest, "emailaddress is not an email address")
			return
		}
		domain = addr.Domain
	}
	if domain == "" {
		fail(http.StatusBadRequest, "no domain: give ?emailaddress=")
		return
	}
	if !h.local(w, r, domain, fail) {
		return
	}
	doc, err := h.srv.Thunderbird(domain)
	if err != nil {
		fail(http.StatusNotFound, "no incoming mail protocol is on")
		return
	}
	write(w, http.StatusOK, "application/xml; charset=utf-8", doc)
}

// autodiscover answers a POSTed autodiscover request, or with an
// autodiscover error document.
func (h *Handler) autodiscover(w http.ResponseWriter, r *http.Request) {
	fail := func(status, code int, message string) {
		write(w, status, "application/xml; charset=utf-8", autodiscoverError(code, message))
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fail(http.StatusMethodNotAllowed, adInvalid, "Invalid Request: POST the request")
		return
	}
	req, err := ParseRequest(http.MaxBytesReader(w, r.Body, MaxBodySize))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, ErrTooLarge):
		fail(http.StatusRequestEntityTooLarge, adInvalid, "Invalid Request: too large")
		return
	case errors.Is(err, ErrSchema):
		fail(http.StatusBadRequest, adNoSuchSchema, "Provider is not available: only the outlook response schema is offered")
		return
	case errors.Is(err, ErrInvalidAddress):
		fail(http.StatusBadRequest, adInvalid, "Invalid Request: EMailAddress is not an email address")
		return
	case err != nil:
		fail(http.StatusBadRequest, adInvalid, "Invalid Request")
		return
	}
	if !h.local(w, r, req.Address.Domain, func(status int, _ string) {
		code, msg := adNotFound, "The e-mail address cannot be found."
		if status != http.StatusNotFound {
			code, msg = adNotAvailable, "Server is busy: try again later"
		}
		fail(status, code, msg)
	}) {
		return
	}
	doc, err := h.srv.Autodiscover(req.Address)
	if err != nil {
		fail(http.StatusNotFound, adNotFound, "No mail protocol is on")
		return
	}
	write(w, http.StatusOK, "application/xml; charset=utf-8", doc)
}

// autodiscoverJSON answers the JSON form: for Protocol=AutodiscoverV1,
// the URL of the XML form; other protocols (ActiveSync, EWS, REST) are
// not offered.
func (h *Handler) autodiscoverJSON(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, message string) {
		write(w, status, "application/json", jsonError(code, message))
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
		return
	}
	email := queryFold(r, "Email")
	if rest, ok := cutPrefixFold(r.URL.Path, PathAutodiscoverJSON+"/v1.0/"); ok {
		email = rest
	}
	if p := queryFold(r, "Protocol"); !strings.EqualFold(p, protocolV1) {
		fail(http.StatusBadRequest, "InvalidProtocol", "The given protocol value is invalid. Supported values are '"+protocolV1+"'.")
		return
	}
	addr, err := ParseAddress(email)
	if err != nil {
		fail(http.StatusBadRequest, "InvalidEmail", "The given email address is not valid.")
		return
	}
	if !h.local(w, r, addr.Domain, func(status int, message string) {
		code := "InvalidUser"
		if status != http.StatusNotFound {
			code = "ServerBusy"
		}
		fail(status, code, message)
	}) {
		return
	}
	write(w, http.StatusOK, "application/json", h.srv.autodiscoverJSON())
}

// mobileConfig serves the Apple profile of ?emailaddress=.
func (h *Handler) mobileConfig(w http.ResponseWriter, r *http.Request) {
	fail := textError(w)
	if !getOnly(w, r) {
		return
	}
	addr, err := ParseAddress(r.URL.Query().Get("emailaddress"))
	if err != nil {
		fail(http.StatusBadRequest, "emailaddress is not an email address")
		return
	}
	if !h.local(w, r, addr.Domain, fail) {
		return
	}
	doc, err := h.srv.MobileConfig(addr)
	if err != nil {
		fail(http.StatusNotFound, "a mail profile needs an incoming protocol and submission, and one is off")
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+ProfileFilename(addr)+`"`)
	write(w, http.StatusOK, ContentTypeProfile, doc)
}

// ProfileFilename is the file name a profile of addr is offered as: its
// domain in A-label form (letters, digits, hyphens and dots only).
func ProfileFilename(addr mailaddr.Address) string {
	return "mail-" + addr.Domain + ".mobileconfig"
}

// write sends doc with its status and media type.
func write(w http.ResponseWriter, status int, contentType string, doc []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(doc)
}

// queryFold is the first value of the query parameter named name in any
// case (Outlook writes Email and Protocol, others email and protocol).
func queryFold(r *http.Request, name string) string {
	q := r.URL.Query()
	if q.Has(name) {
		return q.Get(name)
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
