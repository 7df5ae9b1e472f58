package webui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/autoconfig"
	"github.com/petrelmail/petrel/internal/ops"
)

func (u *UI) accountRoutes() {
	p := AccountPrefix
	u.mux.HandleFunc("GET "+p+"login", u.loginForm(p))
	u.mux.HandleFunc("POST "+p+"login", u.login(p))
	for pattern, h := range map[string]pageFunc{
		"POST logout":               u.logout,
		"GET {$}":                   u.accountPage,
		"POST password":             u.changePassword,
		"POST app-passwords":        u.addAppPassword,
		"POST app-passwords/revoke": u.revokeAppPassword,
		"POST app-passwords/only":   u.appPasswordsOnly,
		"GET profile.mobileconfig":  u.mobileConfig,
		// Filters and vacation (filters.go, scripts.go).
		"GET filters":               u.filtersPage,
		"POST filters/rules":        u.putRule,
		"POST filters/rules/delete": u.deleteRule,
		"POST filters/rules/move":   u.moveRule,
		"POST filters/vacation":     u.putVacation,
		"POST filters/activate":     u.activateScript,
		"POST filters/delete":       u.deleteScript,
	} {
		method, path, _ := strings.Cut(pattern, " ")
		u.mux.Handle(method+" "+p+path, u.page(p, h))
	}
	u.mux.Handle("POST "+p+"filters/script", u.pageLimit(p, maxScriptForm, u.putScript))
}

// accountData is the account page.
type accountData struct {
	Info         ops.AccountInfo
	AppPasswords []ops.AppPassword
	// Thunderbird is the autoconfig document of the account's domain
	// (README "Client autoconfiguration").
	Thunderbird string
	// QR holds the URL of the account's Apple profile, nil when the
	// server offers none (a protocol it needs is off).
	QR *qrImage
}

func (u *UI) accountPage(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	v.Title = "Your account"
	d := &accountData{}
	v.Data = d
	info, err := u.Directory.Account(ctx, v.User)
	if err != nil {
		u.fail(w, "account", v, err)
		return
	}
	d.Info = info
	if d.AppPasswords, err = u.Directory.AppPasswords(ctx, v.User); err != nil {
		u.fail(w, "account", v, err)
		return
	}
	if _, dom, ok := strings.Cut(v.User, "@"); ok {
		if doc, err := u.Setup.Thunderbird(dom); err == nil {
			d.Thunderbird = string(doc)
		}
	}
	if addr, err := autoconfig.ParseAddress(v.User); err == nil {
		if _, err := u.Setup.MobileConfig(addr); err == nil {
			d.QR, _ = newQR(profileURL(u.Setup, v.User))
		}
	}
	u.render(w, http.StatusOK, "account", v)
}

// changePassword sets a new main password once the current one is
// checked again (a session left open is not enough to take the account).
// The account's other sessions end with the old password (session.valid);
// this one is renewed.
func (u *UI) changePassword(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	var err error
	switch cur, pw, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm"); {
	case pw == "":
		err = &ops.Error{Kind: ops.KindInvalid, Field: "new", Msg: "enter a new password"}
	case pw != again:
		err = &ops.Error{Kind: ops.KindInvalid, Field: "confirm", Msg: "the two new passwords differ"}
	default:
		if err = u.confirmPassword(r, v.User, cur); err == nil {
			if _, err = u.Directory.SetPassword(ctx, v.User, pw); err == nil {
				err = u.renewSession(w, r, v)
			}
		}
	}
	u.act(w, r, v, u.accountPage, "Password changed.", err)
}

// addAppPassword creates an app password once the main password is
// checked again: an app password outlives the session and a password
// change, so a session left open must not be enough to make one.
func (u *UI) addAppPassword(w http.ResponseWriter, r *http.Request, v *view) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	var secret string
	err := u.confirmPassword(r, v.User, r.PostFormValue("current"))
	if err == nil {
		secret, err = u.Directory.AddAppPassword(r.Context(), v.User, name)
	}
	v.Secret = secret
	u.act(w, r, v, u.accountPage, "App password "+name+" created: enter it in the device now, it is not shown again.", err)
}

// confirmPassword checks the main password of user again, through the
// failed-login guard like a login (a session must not be an unthrottled
// way to guess it).
func (u *UI) confirmPassword(r *http.Request, user, password string) error {
	_, err := u.checkPassword(r, user, password)
	switch {
	case errors.Is(err, errBlocked):
		return &ops.Error{Kind: ops.KindInvalid, Field: "current", Msg: "too many wrong passwords; try again later"}
	case errors.Is(err, accounts.ErrAuthFailed):
		return &ops.Error{Kind: ops.KindInvalid, Field: "current", Msg: "the current password is wrong"}
	}
	return err
}

// renewSession replaces the request's session with one for the account's
// password as it is now, and gives the page its CSRF token.
func (u *UI) renewSession(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	acct, err := u.Logins.AccountOf(ctx, v.User)
	if err != nil {
		return err
	}
	id, se, err := u.sess.create(ctx, acct)
	if err != nil {
		return err
	}
	if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		u.sess.remove(ctx, c.Value)
	}
	setCookie(w, sessionCookie, "/", id, int(u.SessionTTL/time.Second))
	v.CSRF = se.CSRF
	return nil
}

func (u *UI) revokeAppPassword(w http.ResponseWriter, r *http.Request, v *view) {
	name := r.PostFormValue("name")
	err := u.Directory.RevokeAppPassword(r.Context(), v.User, name)
	u.act(w, r, v, u.accountPage, "App password "+name+" revoked.", err)
}

func (u *UI) appPasswordsOnly(w http.ResponseWriter, r *http.Request, v *view) {
	on := r.PostFormValue("on") == "1"
	err := u.Directory.SetAppPasswordsOnly(r.Context(), v.User, on)
	flash := "Mail clients may log in with the main password again."
	if on {
		flash = "Mail clients must now use app passwords; the main password opens this page only."
	}
	u.act(w, r, v, u.accountPage, flash, err)
}

// mobileConfig downloads the Apple configuration profile of the account
// (README "Client autoconfiguration").
func (u *UI) mobileConfig(w http.ResponseWriter, r *http.Request, v *view) {
	addr, err := autoconfig.ParseAddress(v.User)
	var doc []byte
	if err == nil {
		doc, err = u.Setup.MobileConfig(addr)
	}
	if err != nil {
		http.Error(w, "a mail profile needs an incoming protocol and submission, and one is off", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", autoconfig.ContentTypeProfile)
	w.Header().Set("Content-Disposition", `attachment; filename="`+autoconfig.ProfileFilename(addr)+`"`)
	w.Write(doc)
}
