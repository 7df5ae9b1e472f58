package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
)

// Every admin page renders for an admin, with the data it shows.
func TestAdminPagesRender(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	id := f.enqueue("msgid-web-01")
	must(t, f.dir.AddAlias(context.Background(), "postmaster@example.org", []string{adminAddr}))
	f.in.Add(3)
	f.ui.Sampler.Sample()
	f.clock.advance(time.Minute)
	f.in.Add(4)
	f.ui.Sampler.Sample()
	b := f.browser()
	b.mustLogin(AdminPrefix, adminAddr, adminPassword)
	b.want("dashboard", b.get(AdminPrefix), 200, "Messages in, last 24 h: 4", "<svg", "<rect", `id="queued">1<`,
		"[tls] certificate: 12 days left", "5.0 GiB", "12.0 MiB")
	b.want("domains", b.get(AdminPrefix+"domains"), 200, "example.org")
	b.want("accounts", b.get(AdminPrefix+"accounts"), 200, adminAddr, userAddr, "<meter")
	b.want("aliases", b.get(AdminPrefix+"aliases"), 200, "postmaster@example.org")
	b.want("queue", b.get(AdminPrefix+"queue"), 200, id, "someone@remote.example")
	b.want("queued", b.get(AdminPrefix+"queue/"+id), 200, id, "someone@remote.example", "msgid-web-01")
	b.want("dkim", b.get(AdminPrefix+"dkim"), 200, "No DKIM key for this domain")
	b.want("stylesheet", b.get(AdminPrefix+"static/style.css"), 200, "body {")
	b.want("unknown queue id", b.get(AdminPrefix+"queue/nope"), 404)
}

// The admin's actions: a domain, an account with a generated password
// that then logs in, a password reset, a quota with its usage bar, an
// alias, the queue's retry and delete, a DKIM key with its record.
func TestAdminActions(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	b := f.browser()
	b.mustLogin(AdminPrefix, adminAddr, adminPassword)
	b.get(AdminPrefix + "domains")
	b.want("add domain", b.post(AdminPrefix+"domains", url.Values{"domain": {"Example.NET"}}, true), 200, "Domain example.net added.")
	if ok, _ := f.acc.IsLocalDomain(ctx, "example.net"); !ok {
		t.Error("example.net is not local after the form")
	}
	b.want("bad domain", b.post(AdminPrefix+"domains", url.Values{"domain": {"not a domain"}}, true), 400)

	p := b.want("add account", b.post(AdminPrefix+"accounts", url.Values{"address": {"new@example.net"}}, true), 200,
		"Account new@example.net created.", `id="secret"`)
	generated := secretOf(t, p)
	if _, err := f.acc.AuthenticatePassword(ctx, "new@example.net", generated); err != nil {
		t.Errorf("the generated password shown does not log in: %v", err)
	}
	b.want("duplicate account", b.post(AdminPrefix+"accounts", url.Values{"address": {"new@example.net"}}, true), 409)

	b.want("reset", b.post(AdminPrefix+"accounts/password", url.Values{"address": {"new@example.net"}, "password": {"chosen-password-789"}}, true),
		200, "Password of new@example.net changed.")
	if _, err := f.acc.AuthenticatePassword(ctx, "new@example.net", "chosen-password-789"); err != nil {
		t.Errorf("the reset password does not log in: %v", err)
	}
	if _, err := f.acc.AuthenticatePassword(ctx, "new@example.net", generated); err == nil {
		t.Error("the old password still logs in after the reset")
	}

	b.want("quota", b.post(AdminPrefix+"accounts/quota", url.Values{"address": {"new@example.net"}, "max_mib": {"10"}, "max_messages": {"500"}}, true),
		200, "Quota of new@example.net set.", "of 10.0 MiB", "of 500 messages")
	if q, _ := f.dir.Quota(ctx, "new@example.net"); q.MaxBytes != 10<<20 || q.MaxMessages != 500 {
		t.Errorf("quota after the form: %+v", q)
	}
	b.want("bad quota", b.post(AdminPrefix+"accounts/quota", url.Values{"address": {"new@example.net"}, "max_mib": {"-1"}}, true), 400, "max_mib")

	b.want("alias", b.post(AdminPrefix+"aliases", url.Values{"address": {"team@example.net"}, "targets": {"new@example.net, user@example.org"}}, true),
		200, "Alias team@example.net added.", "new@example.net, user@example.org")

	id := f.enqueue("msgid-web-02")
	b.want("retry", b.post(AdminPrefix+"queue/retry", url.Values{"id": {id}}, true), 200, "will be tried again now")
	b.want("delete queued", b.post(AdminPrefix+"queue/delete", url.Values{"id": {id}}, true), 200, "Deleted from the queue: "+id, "The queue is empty.")
	if msgs, _ := f.queue.Messages(ctx); len(msgs) != 0 {
		t.Errorf("queue after delete: %d messages", len(msgs))
	}

	p = b.want("dkim key", b.post(AdminPrefix+"dkim", url.Values{"domain": {"example.net"}, "selector": {"web1"}, "algorithm": {"ed25519"}}, true),
		200, "Key web1 made", "web1._domainkey.example.net. TXT", "v=DKIM1; k=ed25519; p=")
	b.want("dns check", b.get(AdminPrefix+"dkim?domain=example.net&check=1"), 200, `id="dns-status"`, "MISSING")

	b.want("account under an alias", b.post(AdminPrefix+"accounts/delete", url.Values{"address": {"new@example.net"}}, true), 400, "delete the alias first")
	b.want("delete alias", b.post(AdminPrefix+"aliases/delete", url.Values{"address": {"team@example.net"}}, true), 200, "Alias team@example.net deleted.")
	b.want("delete account", b.post(AdminPrefix+"accounts/delete", url.Values{"address": {"new@example.net"}}, true), 200, "Account new@example.net deleted.")
	if _, err := f.acc.AuthenticatePassword(ctx, "new@example.net", "chosen-password-789"); err == nil {
		t.Error("a deleted account still logs in")
	}
}

// secretOf is the password a page shows once.
func secretOf(t *testing.T, p page) string {
	t.Helper()
	_, rest, ok := strings.Cut(p.body, `<code id="secret">`)
	secret, _, ok2 := strings.Cut(rest, "</code>")
	if !ok || !ok2 || secret == "" {
		t.Fatalf("no secret on the page: %.400q", p.body)
	}
	return secret
}

// A POST without the session's CSRF token, or with another, is refused
// with 403 and changes nothing; so is a login without its token.
func TestCSRFRefused(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	b := f.browser()
	b.mustLogin(AdminPrefix, adminAddr, adminPassword)
	b.want("no token", b.post(AdminPrefix+"domains", url.Values{"domain": {"evil.example"}}, false), 403)
	b.want("wrong token", b.post(AdminPrefix+"domains", url.Values{"domain": {"evil.example"}, "csrf": {strings.Repeat("A", 43)}}, false), 403)
	if ok, _ := f.acc.IsLocalDomain(ctx, "evil.example"); ok {
		t.Error("a form without its CSRF token added a domain")
	}
	// Another session's token is no good either.
	other := f.browser()
	other.mustLogin(AccountPrefix, userAddr, userPassword)
	b.want("another session's token", b.post(AdminPrefix+"accounts/password",
		url.Values{"address": {userAddr}, "password": {"taken-over-1234"}, "csrf": {other.csrf}}, false), 403)
	if _, err := f.acc.AuthenticatePassword(ctx, userAddr, userPassword); err != nil {
		t.Error("a form with another session's token changed a password")
	}
	// The account page the same way.
	b.want("account form without token", other.post(AccountPrefix+"app-passwords", url.Values{"name": {"x"}}, false), 403)
	if aps, _ := f.dir.AppPasswords(ctx, userAddr); len(aps) != 0 {
		t.Errorf("app passwords after a CSRF-less form: %v", aps)
	}
	// Login: the token must match the login cookie.
	fresh := f.browser()
	fresh.get(AdminPrefix + "login")
	fresh.want("login without token", fresh.post(AdminPrefix+"login", url.Values{"username": {adminAddr}, "password": {adminPassword}}, false), 403)
	if n := f.logins.checks.Load(); n != 2 {
		t.Errorf("%d password checks, want 2 (the two logins): a login without its token was checked", n)
	}
	// Logout is a form too.
	b.want("logout without token", b.post(AdminPrefix+"logout", nil, false), 403)
	b.want("still logged in", b.get(AdminPrefix), 200)
}

// The session cookie is HttpOnly, Secure and SameSite=Strict; the store
// keeps the hash of the ID, not the ID; a session ends at its expiry and
// at logout, on every page.
func TestSessions(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	b := f.browser()
	b.get(AccountPrefix + "login")
	p := b.post(AccountPrefix+"login", url.Values{"username": {userAddr}, "password": {userPassword}}, true)
	var id string
	for _, c := range strings.Split(strings.Join(p.header.Values("Set-Cookie"), "\n"), "\n") {
		if !strings.HasPrefix(c, sessionCookie+"=") {
			continue
		}
		id, _, _ = strings.Cut(strings.TrimPrefix(c, sessionCookie+"="), ";")
		for _, attr := range []string{"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(c, attr) {
				t.Errorf("session cookie %q lacks %s", c, attr)
			}
		}
	}
	if len(id) != 43 {
		t.Fatalf("session ID %q: want 32 octets in base64url", id)
	}
	keys, err := f.st.KVList(ctx, sessionPrefix)
	must(t, err)
	if len(keys) != 1 || strings.Contains(keys[0].Key, id) {
		t.Fatalf("stored sessions %v: want one, named by the hash of the ID", keys)
	}
	v, err := f.st.KVLoad(ctx, keys[0].Key)
	must(t, err)
	if strings.Contains(string(v), id) {
		t.Error("the store holds the session ID")
	}
	b.want("account page", b.get(AccountPrefix), 200, userAddr)

	f.clock.advance(time.Hour - time.Second)
	b.want("just before expiry", b.get(AccountPrefix), 200)
	f.clock.advance(time.Second)
	if p := b.get(AccountPrefix); p.status != http.StatusSeeOther || p.header.Get("Location") != AccountPrefix+"login" {
		t.Errorf("after expiry: %d to %q, want 303 to the login page", p.status, p.header.Get("Location"))
	}
	b.want("form after expiry", b.post(AccountPrefix+"app-passwords", url.Values{"name": {"late"}}, true), 403)
	if keys, _ := f.st.KVList(ctx, sessionPrefix); len(keys) != 0 {
		t.Errorf("an expired session is still stored: %v", keys)
	}

	// Logout ends the session on the server, not only in the browser.
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	stolen := b.c.Jar.Cookies(mustURL(t, f.srv.URL))
	if p := b.post(AccountPrefix+"logout", nil, true); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	thief := f.browser()
	thief.c.Jar.SetCookies(mustURL(t, f.srv.URL), stolen)
	if p := thief.get(AccountPrefix); p.status != http.StatusSeeOther {
		t.Errorf("the cookie of a logged-out session still opens the page: %d", p.status)
	}

	// Purging forgets the expired sessions nobody came back for.
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	f.clock.advance(2 * time.Hour)
	f.ui.PurgeSessions(ctx)
	if keys, _ := f.st.KVList(ctx, sessionPrefix); len(keys) != 0 {
		t.Errorf("purge left %v", keys)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	must(t, err)
	return u
}

// Failed web logins go through the guard: past its block, even the right
// password is refused without being checked, and the attacker got a
// bounded number of password checks.
func TestLoginThrottled(t *testing.T) {
	f := newFixture(t, authguard.Config{IPFree: 2, AccountFree: 100, IPBlock: 4, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	b := f.browser()
	var blocked int
	const tries = 10
	for i := range tries {
		p := b.login(AdminPrefix, adminAddr, "wrong-"+string(rune('a'+i)))
		switch p.status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			blocked++
		default:
			t.Fatalf("try %d: %d", i, p.status)
		}
	}
	if n := f.logins.checks.Load(); n > 4 {
		t.Errorf("%d password checks for %d tries, want at most 4 (the guard's block)", n, tries)
	}
	if blocked < tries-4 {
		t.Errorf("%d of %d tries blocked", blocked, tries)
	}
	before := f.logins.checks.Load()
	b.want("right password while blocked", b.login(AdminPrefix, adminAddr, adminPassword), 429, "Too many failed logins")
	if f.logins.checks.Load() != before {
		t.Error("a blocked client's password was checked")
	}
	if strings.Contains(f.logs.String(), "wrong-") || strings.Contains(f.logs.String(), adminPassword) {
		t.Error("a password is in the log")
	}
}

// Only the main password opens the web: an app password is refused, and
// a user who is no admin gets the account page but not the admin part.
func TestLoginRules(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	app, err := f.acc.AddAppPassword(ctx, adminAddr, "phone")
	must(t, err)
	b := f.browser()
	b.want("app password at /admin/", b.login(AdminPrefix, adminAddr, app), 401)
	b.want("app password at /account/", b.login(AccountPrefix, adminAddr, app), 401)
	u := f.browser()
	u.want("non-admin at /admin/", u.login(AdminPrefix, userAddr, userPassword), 403, "not an admin")
	u.mustLogin(AccountPrefix, userAddr, userPassword)
	if p := u.get(AdminPrefix); p.status != http.StatusForbidden {
		t.Errorf("a user's session on /admin/: %d, want 403", p.status)
	}
	// An admin whose flag is taken away loses the admin part at once.
	a := f.browser()
	a.mustLogin(AdminPrefix, adminAddr, adminPassword)
	must(t, f.acc.SetFlag(ctx, adminAddr, accounts.FlagAdmin, false))
	if p := a.get(AdminPrefix + "domains"); p.status != http.StatusForbidden {
		t.Errorf("a former admin's session: %d, want 403", p.status)
	}
	// Both login forms open side by side keep their own token.
	two := f.browser()
	two.get(AdminPrefix + "login")
	adminToken := two.csrf
	two.get(AccountPrefix + "login")
	if p := two.post(AdminPrefix+"login", url.Values{"username": {userAddr}, "password": {userPassword}, "csrf": {adminToken}}, false); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "not an admin") {
		t.Errorf("admin login form after the account's was opened: %d %.200q", p.status, mainOf(p.body))
	}
	if p := b.get(AdminPrefix + "nothing-here"); p.status != http.StatusNotFound {
		t.Errorf("unknown page: %d", p.status)
	}
}

// [http] admin_networks: /admin/ answers only those networks, before any
// login; /account/ answers everyone.
func TestAdminNetworks(t *testing.T) {
	f := newFixture(t, authguard.Config{}, func(d *Deps) { d.Networks = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} })
	b := f.browser()
	b.want("admin login from 127.0.0.1", b.get(AdminPrefix+"login"), 403)
	b.want("admin login post", b.post(AdminPrefix+"login", url.Values{"username": {adminAddr}, "password": {adminPassword}}, false), 403)
	if n := f.logins.checks.Load(); n != 0 {
		t.Errorf("%d password checks from outside the admin networks", n)
	}
	b.mustLogin(AccountPrefix, adminAddr, adminPassword)
	b.want("admin page with a session", b.get(AdminPrefix), 403)

	in := newFixture(t, authguard.Config{}, func(d *Deps) { d.Networks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	ib := in.browser()
	ib.mustLogin(AdminPrefix, adminAddr, adminPassword)
}

// Security headers on every answer; plain HTTP is refused.
func TestHeadersAndTLS(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	b := f.browser()
	p := b.get(AccountPrefix + "login")
	for k, want := range map[string]string{
		"Content-Security-Policy":   "frame-ancestors 'none'",
		"X-Frame-Options":           "DENY",
		"Strict-Transport-Security": "max-age=31536000",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
	} {
		if !strings.Contains(p.header.Get(k), want) {
			t.Errorf("%s: %q, want %q", k, p.header.Get(k), want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q lets scripts run", csp)
	}
	plain := httptest.NewServer(f.ui)
	defer plain.Close()
	resp, err := http.Get(plain.URL + AccountPrefix + "login")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("plain HTTP: %d, HSTS %q; want 403 without HSTS", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
}

// The account page: quota, password change (the current password checked
// again), app passwords (shown once, listed, revoked, the only option),
// client setup, the profile download.
func TestAccountPage(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	b.want("page", b.get(AccountPrefix), 200, userAddr, "<meter", "Change password", "App passwords",
		"Filters and vacation", "&lt;emailProvider id=&#34;example.org&#34;&gt;", "&lt;port&gt;993&lt;/port&gt;", "profile.mobileconfig", `id="qr"`)

	b.want("wrong current", b.post(AccountPrefix+"password", url.Values{"current": {"nope"}, "new": {"new-password-1234"}, "confirm": {"new-password-1234"}}, true),
		400, "the current password is wrong")
	b.want("mismatch", b.post(AccountPrefix+"password", url.Values{"current": {userPassword}, "new": {"new-password-1234"}, "confirm": {"other"}}, true),
		400, "differ")
	if _, err := f.acc.AuthenticatePassword(ctx, userAddr, userPassword); err != nil {
		t.Fatal("a refused change changed the password")
	}
	b.want("change", b.post(AccountPrefix+"password", url.Values{"current": {userPassword}, "new": {"new-password-1234"}, "confirm": {"new-password-1234"}}, true),
		200, "Password changed.")
	if _, err := f.acc.AuthenticatePassword(ctx, userAddr, "new-password-1234"); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}

	b.want("app password without the password", b.post(AccountPrefix+"app-passwords", url.Values{"name": {"phone"}}, true),
		400, "the current password is wrong")
	b.want("app password with a wrong one", b.post(AccountPrefix+"app-passwords", url.Values{"name": {"phone"}, "current": {"nope"}}, true),
		400, "the current password is wrong")
	if names, _ := f.dir.AppPasswords(ctx, userAddr); len(names) != 0 {
		t.Fatalf("app passwords made without the password: %v", names)
	}
	p := b.want("app password", b.post(AccountPrefix+"app-passwords", url.Values{"name": {"phone"}, "current": {"new-password-1234"}}, true),
		200, "App password phone created", "<td>phone</td>")
	secret := secretOf(t, p)
	if _, err := f.acc.Authenticate(ctx, userAddr, secret); err != nil {
		t.Errorf("the app password shown does not log in to the mail protocols: %v", err)
	}
	if p := b.get(AccountPrefix); strings.Contains(p.body, secret) {
		t.Error("the app password is shown again")
	}
	b.want("only", b.post(AccountPrefix+"app-passwords/only", url.Values{"on": {"1"}}, true), 200, "must now use app passwords")
	if on, _ := f.acc.HasFlag(ctx, userAddr, accounts.FlagAppPasswordsOnly); !on {
		t.Error("app passwords only is not set")
	}
	// The main password still opens the web page.
	other := f.browser()
	other.mustLogin(AccountPrefix, userAddr, "new-password-1234")
	b.want("revoke", b.post(AccountPrefix+"app-passwords/revoke", url.Values{"name": {"phone"}}, true), 200, "App password phone revoked.", "None yet.")
	if _, err := f.acc.Authenticate(ctx, userAddr, secret); err == nil {
		t.Error("a revoked app password still logs in")
	}

	resp := b.get(AccountPrefix + "profile.mobileconfig")
	if resp.status != 200 || !strings.Contains(resp.header.Get("Content-Disposition"), "mail-example.org.mobileconfig") ||
		!strings.Contains(resp.body, "<string>"+userAddr+"</string>") {
		t.Errorf("profile: %d %q %.300q", resp.status, resp.header.Get("Content-Disposition"), resp.body)
	}
}

// A server without a queue, DKIM, metrics or status says so on those
// pages; the rest works.
func TestPagesWithoutServices(t *testing.T) {
	f := newFixture(t, authguard.Config{}, func(d *Deps) { d.Queue, d.DKIM, d.DNS, d.Sampler, d.Status = nil, nil, nil, nil, nil })
	b := f.browser()
	b.mustLogin(AdminPrefix, adminAddr, adminPassword)
	b.want("dashboard", b.get(AdminPrefix), 200, "no outbound queue", "No traffic samples")
	b.want("queue", b.get(AdminPrefix+"queue"), 503, "this server has no outbound queue")
	b.want("retry", b.post(AdminPrefix+"queue/retry", url.Values{"id": {"x"}}, true), 503, "this server has no outbound queue")
	b.want("dkim", b.get(AdminPrefix+"dkim"), 503, "DKIM keys are not available")
	b.want("domains", b.get(AdminPrefix+"domains"), 200, "example.org")
}

// A session belongs to the account that logged in, with the password it
// logged in with: once that account is deleted and its address given to
// another account (an admin's here), or once the password is changed or
// reset elsewhere, the session's cookie opens nothing; the browser that
// changed the password keeps a renewed session.
func TestSessionFollowsAccount(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	thief := f.browser()
	thief.mustLogin(AccountPrefix, userAddr, userPassword)
	must(t, f.acc.DeleteUser(ctx, userAddr))
	must(t, f.acc.AddAddress(ctx, adminAddr, userAddr))
	if p := thief.get(AccountPrefix); p.status != http.StatusSeeOther || p.header.Get("Location") != AccountPrefix+"login" {
		t.Errorf("the deleted account's session on the page of the address's new account: %d %q, want 303 to the login page",
			p.status, p.header.Get("Location"))
	}
	thief.want("admin part", thief.get(AdminPrefix), http.StatusSeeOther)
	if keys, _ := f.st.KVList(ctx, sessionPrefix); len(keys) != 0 {
		t.Errorf("the ended session is still stored: %v", keys)
	}

	const other = "carol@example.org"
	_, err := f.acc.AddUser(ctx, other, userPassword)
	must(t, err)
	owner, stolen := f.browser(), f.browser()
	owner.mustLogin(AccountPrefix, other, userPassword)
	stolen.mustLogin(AccountPrefix, other, userPassword)
	owner.want("change", owner.post(AccountPrefix+"password", url.Values{"current": {userPassword}, "new": {"changed-1234"}, "confirm": {"changed-1234"}}, true),
		200, "Password changed.")
	owner.want("the changing browser, after", owner.get(AccountPrefix), 200, other)
	stolen.want("the other session, after", stolen.get(AccountPrefix), http.StatusSeeOther)
	stolen.want("its form", stolen.post(AccountPrefix+"app-passwords", url.Values{"name": {"x"}, "current": {"changed-1234"}}, true), 403)

	// A reset by the admin ends the owner's sessions too.
	_, err = f.dir.SetPassword(ctx, other, "reset-by-admin-1234")
	must(t, err)
	owner.want("after the admin's reset", owner.get(AccountPrefix), http.StatusSeeOther)
}

// Checking the password again on the account page (a password change,
// an app password) goes through the failed-login guard: a session is not
// an unthrottled way to guess the main password.
func TestConfirmPasswordThrottled(t *testing.T) {
	// The login makes the browser's address trusted for the account: its
	// allowance (TrustedFailures) comes before the client's block.
	f := newFixture(t, authguard.Config{IPFree: 2, AccountFree: 100, IPBlock: 4, TrustedFailures: 3,
		BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	before := f.logins.checks.Load()
	blocked := 0
	for i := range 12 {
		p := b.post(AccountPrefix+"password", url.Values{"current": {fmt.Sprint("guess-", i)}, "new": {"x-1234567"}, "confirm": {"x-1234567"}}, true)
		if strings.Contains(p.body, "too many wrong passwords") {
			blocked++
		}
	}
	if blocked == 0 {
		t.Fatal("12 wrong current passwords were never throttled")
	}
	if n := f.logins.checks.Load() - before; n > 5 {
		t.Errorf("%d password checks for 12 guesses, want at most 5 (the trusted allowance, then the client's block)", n)
	}
}
