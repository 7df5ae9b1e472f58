package webui

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/store"
)

// maxForm bounds the body of a form post.
const maxForm = 64 << 10

// pageFunc serves one page of a logged-in user; v is filled with the
// session's user and CSRF token.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view)

// page wraps h with the session check (a login page otherwise), the
// admin flag check for the admin part and, on POST, the CSRF check.
func (u *UI) page(prefix string, h pageFunc) http.Handler { return u.pageLimit(prefix, maxForm, h) }

// pageLimit is page with posts of up to limit octets.
func (u *UI) pageLimit(prefix string, limit int64, h pageFunc) http.Handler {
	admin := prefix == AdminPrefix
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var se *session
		var err error = errNoSession
		if c, cerr := r.Cookie(sessionCookie); cerr == nil {
			if se, err = u.sess.load(ctx, c.Value); err == nil {
				err = u.checkAccount(ctx, c.Value, se)
			}
		}
		if errors.Is(err, errNoSession) {
			if r.Method == http.MethodPost {
				http.Error(w, "your session has ended; log in again", http.StatusForbidden)
				return
			}
			http.Redirect(w, r, prefix+"login", http.StatusSeeOther)
			return
		}
		if err != nil {
			u.Log.Error("web session lookup failed", "err", err)
			http.Error(w, "cannot check the session now; try again", http.StatusServiceUnavailable)
			return
		}
		if admin {
			ok, err := u.Logins.HasFlag(ctx, se.Address, accounts.FlagAdmin)
			if err != nil || !ok {
				u.Log.Warn("web admin refused: not an admin", "user", se.Address)
				http.Error(w, "this account is not an admin", http.StatusForbidden)
				return
			}
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if !sameToken(r.PostFormValue("csrf"), se.CSRF) {
				u.Log.Warn("web form refused: missing or wrong CSRF token", "user", se.Address, "path", r.URL.Path)
				http.Error(w, "this form has no valid CSRF token; reload the page", http.StatusForbidden)
				return
			}
		}
		h(w, r, &view{Base: prefix, User: se.Address, CSRF: se.CSRF, Admin: admin})
	})
}

// errBlocked is checkPassword's refusal of a client past the guard's
// limits: its password was not checked.
var errBlocked = errors.New("too many failed logins")

// checkPassword checks the main password of user through the failed-login
// guard, as every web login and every password asked again does: a
// blocked client gets errBlocked, a wrong password accounts.ErrAuthFailed
// (counted as a failure), a client that left while it waited its
// context's error.
func (u *UI) checkPassword(r *http.Request, user, password string) (store.Account, error) {
	ctx := r.Context()
	var at *authguard.Attempt
	if u.Guard != nil {
		var v authguard.Verdict
		at, v = u.Guard.Begin(clientIP(r), user)
		if v.Blocked {
			return store.Account{}, errBlocked
		}
		if !v.Wait(ctx) {
			at.Abandon()
			return store.Account{}, ctx.Err()
		}
	}
	acct, err := u.Logins.AuthenticatePassword(ctx, user, password)
	if at != nil {
		switch {
		case errors.Is(err, accounts.ErrAuthFailed):
			at.Failure()
		case err != nil:
			at.Abandon()
		default:
			at.Success()
		}
	}
	return acct, err
}

// checkAccount ends a session whose account is no longer the one that
// logged in with that password (session.valid): errNoSession then.
func (u *UI) checkAccount(ctx context.Context, id string, se *session) error {
	acct, err := u.Logins.AccountOf(ctx, se.Address)
	if err != nil && !store.IsKind(err, store.KindNotFound) {
		return err
	}
	if err != nil || !se.valid(acct) {
		u.sess.remove(ctx, id)
		u.Log.Info("web session ended: its account or password changed", "user", se.Address)
		return errNoSession
	}
	return nil
}

// loginForm shows the login page with a fresh double-submit token.
func (u *UI) loginForm(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u.showLogin(w, prefix, http.StatusOK, "")
	}
}

func (u *UI) showLogin(w http.ResponseWriter, prefix string, status int, msg string) {
	token := newToken()
	setCookie(w, loginCookie, prefix, token, 3600)
	u.render(w, status, "login", &view{Base: prefix, CSRF: token, Error: msg, Admin: prefix == AdminPrefix})
}

// login checks a login form: the CSRF token against its cookie, then the
// main password through the guard.
func (u *UI) login(prefix string) http.HandlerFunc {
	admin := prefix == AdminPrefix
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		c, err := r.Cookie(loginCookie)
		if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
			u.Log.Warn("web login refused: missing or wrong CSRF token", "client", clientIP(r).String())
			http.Error(w, "this form has no valid CSRF token; reload the page", http.StatusForbidden)
			return
		}
		user, password := r.PostFormValue("username"), r.PostFormValue("password")
		if user == "" || password == "" {
			u.showLogin(w, prefix, http.StatusBadRequest, "Enter your address and password.")
			return
		}
		ctx := r.Context()
		ip := clientIP(r)
		acct, err := u.checkPassword(r, user, password)
		switch {
		case errors.Is(err, errBlocked):
			u.Log.Info("web login refused: too many failures", "client", ip.String(), "user", logUser(user))
			u.showLogin(w, prefix, http.StatusTooManyRequests, "Too many failed logins from this address; try again later.")
			return
		case errors.Is(err, accounts.ErrAuthFailed):
			u.Log.Info("web login failed", "client", ip.String(), "user", logUser(user))
			u.showLogin(w, prefix, http.StatusUnauthorized, "Wrong address or password.")
			return
		case ctx.Err() != nil:
			return // the client left while its attempt waited
		case err != nil:
			u.Log.Error("web login: checking the password failed", "client", ip.String(), "err", err)
			u.showLogin(w, prefix, http.StatusServiceUnavailable, "Cannot check passwords now; try again.")
			return
		}
		if admin {
			ok, err := u.Logins.HasFlag(ctx, acct.Address, accounts.FlagAdmin)
			if err != nil || !ok {
				u.Log.Warn("web admin login refused: not an admin", "client", ip.String(), "user", acct.Address)
				u.showLogin(w, prefix, http.StatusForbidden, "This account is not an admin; its own page is at "+AccountPrefix+".")
				return
			}
		}
		id, _, err := u.sess.create(ctx, acct)
		if err != nil {
			u.Log.Error("web login: storing the session failed", "err", err)
			u.showLogin(w, prefix, http.StatusServiceUnavailable, "Cannot open a session now; try again.")
			return
		}
		u.Log.Info("web login", "client", ip.String(), "user", acct.Address, "part", prefix)
		setCookie(w, loginCookie, prefix, "", -1)
		setCookie(w, sessionCookie, "/", id, int(u.SessionTTL/time.Second))
		http.Redirect(w, r, prefix, http.StatusSeeOther)
	}
}

// logout ends the session.
func (u *UI) logout(w http.ResponseWriter, r *http.Request, v *view) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		u.sess.remove(r.Context(), c.Value)
	}
	setCookie(w, sessionCookie, "/", "", -1)
	u.Log.Info("web logout", "user", v.User)
	http.Redirect(w, r, v.Base+"login", http.StatusSeeOther)
}

// logUser is a user name typed in a login form, cut short for the log.
func logUser(user string) string {
	if len(user) > 320 {
		return user[:320]
	}
	return user
}
