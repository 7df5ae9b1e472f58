package webapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/ops"
)

// principal is who makes a call.
type principal struct {
	name     string // "token:NAME" or "admin:ADDRESS", for the log
	readOnly bool
}

// tokenUser is the name the guard counts a token's failed logins under
// (besides the client address): "token:NAME" from the token's
// "ptk.NAME." prefix, so that guessing one token's secret slows the users
// of that token only; "token:" for what is no token.
func tokenUser(cred string) string {
	rest, _ := strings.CutPrefix(cred, "ptk.")
	name, _, ok := strings.Cut(rest, ".")
	if !ok || len(name) > 64 {
		name = ""
	}
	return "token:" + name
}

// challenge is the WWW-Authenticate of a 401 (RFC 9110 §11.6.1, RFC 6750
// §3). Basic credentials are taken too (RFC 7617) but not asked for: a
// browser that was asked would keep them and send them with any page's
// cross-site request.
const challenge = `Bearer realm="petrel-api"`

func unauthorized(w http.ResponseWriter, msg string) *apiError {
	w.Header().Set("WWW-Authenticate", challenge)
	return &apiError{Status: http.StatusUnauthorized, Kind: kindUnauthorized, Message: msg}
}

// authenticate finds who makes the request r, through the failed-login
// guard. Credentials are refused over plain HTTP: they would travel in
// clear.
func (a *api) authenticate(w http.ResponseWriter, r *http.Request) (principal, *apiError) {
	authz := r.Header.Get("Authorization")
	if r.TLS == nil {
		return principal{}, &apiError{Status: http.StatusForbidden, Kind: kindTLSRequired, Message: "the admin API takes credentials over HTTPS only"}
	}
	scheme, cred, _ := strings.Cut(authz, " ")
	cred = strings.TrimSpace(cred)
	var user, password string
	switch {
	case authz == "":
		return principal{}, unauthorized(w, "credentials required: an API token (Authorization: Bearer) or an admin account (Basic)")
	case strings.EqualFold(scheme, "Bearer"):
		user = tokenUser(cred)
	case strings.EqualFold(scheme, "Basic"):
		var ok bool
		if user, password, ok = r.BasicAuth(); !ok || user == "" || password == "" {
			return principal{}, unauthorized(w, "malformed Basic credentials")
		}
	default:
		return principal{}, unauthorized(w, "unknown authorization scheme; use Bearer or Basic")
	}
	ip := clientIP(r)
	var at *authguard.Attempt
	if a.Guard != nil {
		var v authguard.Verdict
		at, v = a.Guard.Begin(ip, user)
		if v.Blocked {
			a.Log.Info("api login refused: too many failures", "client", ip.String(), "user", logUser(user))
			secs := int64(math.Ceil(time.Until(v.Until).Seconds()))
			w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
			return principal{}, &apiError{Status: http.StatusTooManyRequests, Kind: kindThrottled,
				Message: fmt.Sprintf("too many failed logins from this address; try again in %d seconds", max(secs, 1))}
		}
		if !v.Wait(r.Context()) {
			at.Abandon()
			return principal{}, &apiError{Status: http.StatusServiceUnavailable, Kind: "unavailable", Message: "request cancelled"}
		}
	}
	p, err := a.check(r, scheme, cred, user, password)
	switch {
	case err == nil:
		if at != nil {
			at.Success()
		}
		return p, nil
	case errors.Is(err, errBadLogin), errors.Is(err, errNotAdmin):
		// A non-admin's right password is answered and counted as a
		// wrong one: the API must not tell a guesser that a password
		// is right (nor for an account that takes app passwords only on
		// the mail protocols).
		if at != nil {
			at.Failure()
		}
		if errors.Is(err, errNotAdmin) {
			a.Log.Warn("api login refused: not an admin", "client", ip.String(), "user", logUser(user))
		} else {
			a.Log.Info("api login failed", "client", ip.String(), "user", logUser(user))
		}
		return principal{}, unauthorized(w, "invalid credentials")
	}
	if at != nil {
		at.Abandon()
	}
	a.Log.Error("api login: checking the credentials failed", "client", ip.String(), "err", err)
	return principal{}, &apiError{Status: http.StatusServiceUnavailable, Kind: "unavailable", Message: "cannot check credentials now; try again"}
}

var (
	errBadLogin = errors.New("bad credentials")
	errNotAdmin = errors.New("not an admin")
)

// check verifies the credentials.
func (a *api) check(r *http.Request, scheme, cred, user, password string) (principal, error) {
	ctx := r.Context()
	if strings.EqualFold(scheme, "Bearer") {
		if a.Tokens == nil {
			return principal{}, errBadLogin
		}
		t, err := a.Tokens.Verify(ctx, cred)
		if err != nil {
			if errors.Is(err, ops.ErrBadToken) {
				return principal{}, errBadLogin
			}
			return principal{}, err
		}
		return principal{name: "token:" + t.Name, readOnly: t.ReadOnly}, nil
	}
	if a.Admins == nil {
		return principal{}, errBadLogin
	}
	acct, err := a.Admins.AuthenticatePassword(ctx, user, password)
	if errors.Is(err, accounts.ErrAuthFailed) {
		return principal{}, errBadLogin
	}
	if err != nil {
		return principal{}, err
	}
	admin, err := a.Admins.HasFlag(ctx, acct.Address, accounts.FlagAdmin)
	if err != nil {
		return principal{}, err
	}
	if !admin {
		return principal{}, errNotAdmin
	}
	return principal{name: "admin:" + acct.Address}, nil
}

// logUser is user for the log: the guard's token name, or the address
// given, cut short (it is the client's input).
func logUser(user string) string {
	if len(user) > 320 {
		return user[:320]
	}
	return user
}

// clientIP is the address of the client (the connection's peer).
func clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.IPv6Unspecified()
	}
	return ap.Addr().Unmap()
}
