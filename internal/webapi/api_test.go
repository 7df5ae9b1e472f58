package webapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Every route, driven with the read-write token; each effect is checked
// through the operations the CLI uses (or the store).
func TestEndpoints(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	rw := f.rw

	// Domains.
	r := f.want("add domain", f.do("POST", "/api/v1/domains", rw, map[string]string{"domain": "Bücher.example"}), 201)
	if r.body["domain"] != "xn--bcher-kva.example" || r.body["via"] != "fallback" {
		t.Errorf("add domain: %s", r.raw)
	}
	r = f.want("list domains", f.do("GET", "/api/v1/domains", rw, nil), 200)
	if !strings.Contains(r.raw, `"unicode": "bücher.example"`) || !strings.Contains(r.raw, `"domain": "example.org"`) {
		t.Errorf("list domains: %s", r.raw)
	}

	// Accounts: a generated password works for IMAP and friends.
	r = f.want("add account", f.do("POST", "/api/v1/accounts", rw, map[string]string{"address": "bob@example.org"}), 201)
	pw, _ := r.body["generated_password"].(string)
	if _, err := f.acc.Authenticate(ctx, "bob@example.org", pw); err != nil || len(pw) != 26 {
		t.Errorf("generated password %q: %v", pw, err)
	}
	f.want("add account with a password", f.do("POST", "/api/v1/accounts", rw, map[string]string{"address": "carol@example.org", "password": "carol-pw"}), 201)
	if _, err := f.acc.Authenticate(ctx, "carol@example.org", "carol-pw"); err != nil {
		t.Errorf("carol's password: %v", err)
	}
	r = f.want("set password", f.do("PUT", "/api/v1/accounts/bob@example.org/password", rw, map[string]string{"password": "new-bob-pw"}), 200)
	if _, err := f.acc.Authenticate(ctx, "bob@example.org", "new-bob-pw"); err != nil || r.body["generated_password"] != nil {
		t.Errorf("after set password: %v, %s", err, r.raw)
	}
	r = f.want("generate password", f.do("PUT", "/api/v1/accounts/bob@example.org/password", rw, map[string]string{}), 200)
	if pw, _ := r.body["generated_password"].(string); len(pw) != 26 {
		t.Errorf("generated password: %s", r.raw)
	}
	f.want("add extra address", f.do("POST", "/api/v1/accounts/bob@example.org/addresses", rw, map[string]string{"address": "robert@example.org"}), 201)
	r = f.want("list accounts", f.do("GET", "/api/v1/accounts", rw, nil), 200)
	if !strings.Contains(r.raw, `"address": "bob@example.org",
      "extra": [
        "robert@example.org"
      ]`) {
		t.Errorf("list accounts: %s", r.raw)
	}
	r = f.want("set quota", f.do("PUT", "/api/v1/accounts/robert@example.org/quota", rw, map[string]int{"max_bytes": 1000000}), 200)
	if r.body["max_bytes"] != 1e6 || r.body["max_messages"] != 0.0 {
		t.Errorf("set quota: %s", r.raw)
	}
	f.want("set message quota", f.do("PUT", "/api/v1/accounts/bob@example.org/quota", rw, map[string]int{"max_messages": 50}), 200)
	r = f.want("show quota", f.do("GET", "/api/v1/accounts/bob@example.org/quota", rw, nil), 200)
	if r.body["max_bytes"] != 1e6 || r.body["max_messages"] != 50.0 {
		t.Errorf("show quota (the byte limit must stay): %s", r.raw)
	}

	// App passwords.
	r = f.want("add app password", f.do("POST", "/api/v1/accounts/bob@example.org/app-passwords", rw, map[string]string{"name": "phone"}), 201)
	app, _ := r.body["password"].(string)
	if _, err := f.acc.Authenticate(ctx, "bob@example.org", app); err != nil {
		t.Errorf("app password %q: %v", app, err)
	}
	r = f.want("list app passwords", f.do("GET", "/api/v1/accounts/bob@example.org/app-passwords", rw, nil), 200)
	if !strings.Contains(r.raw, `"name": "phone"`) || strings.Contains(r.raw, app) {
		t.Errorf("list app passwords: %s", r.raw)
	}
	r = f.want("app passwords only", f.do("PATCH", "/api/v1/accounts/bob@example.org", rw, map[string]bool{"app_passwords_only": true}), 200)
	if r.body["app_passwords_only"] != true {
		t.Errorf("patch: %s", r.raw)
	}
	if _, err := f.acc.Authenticate(ctx, "bob@example.org", "new-bob-pw"); err == nil {
		t.Errorf("the main password still works with app passwords only")
	}
	r = f.want("show account", f.do("GET", "/api/v1/accounts/robert@example.org", rw, nil), 200)
	if r.body["address"] != "bob@example.org" || r.body["admin"] != false || r.body["app_passwords_only"] != true {
		t.Errorf("show account: %s", r.raw)
	}
	f.want("revoke app password", f.do("DELETE", "/api/v1/accounts/bob@example.org/app-passwords/phone", rw, nil), 204)
	if _, err := f.acc.Authenticate(ctx, "bob@example.org", app); err == nil {
		t.Errorf("a revoked app password still works")
	}
	r = f.want("unlock", f.do("POST", "/api/v1/accounts/bob@example.org/unlock", rw, map[string]string{"client": "192.0.2.1"}), 200)
	if r.body["account"] != true || len(f.unlock.calls) != 1 || f.unlock.calls[0] != "bob@example.org 192.0.2.1" {
		t.Errorf("unlock: %s, calls %q", r.raw, f.unlock.calls)
	}

	// Aliases, a catch-all among them.
	f.want("add alias", f.do("POST", "/api/v1/aliases", rw, map[string]any{"address": "info@example.org", "targets": []string{"bob@example.org", "x@remote.example"}}), 201)
	f.want("add catch-all", f.do("POST", "/api/v1/aliases", rw, map[string]any{"address": "@example.org", "targets": []string{"carol@example.org"}}), 201)
	r = f.want("list aliases", f.do("GET", "/api/v1/aliases", rw, nil), 200)
	if res, err := f.acc.Resolve(ctx, "anything@example.org"); err != nil || len(res.Local) != 1 || !strings.Contains(r.raw, `"address": "@example.org"`) {
		t.Errorf("catch-all: %v, %v; list %s", res, err, r.raw)
	}
	f.want("delete catch-all", f.do("DELETE", "/api/v1/aliases/@example.org", rw, nil), 204)
	f.want("delete alias", f.do("DELETE", "/api/v1/aliases/info@example.org", rw, nil), 204)
	if as, _ := f.dir.Aliases(ctx); len(as) != 0 {
		t.Errorf("aliases left: %v", as)
	}

	// DKIM and DNS.
	r = f.want("generate key", f.do("POST", "/api/v1/domains/example.org/dkim", rw, map[string]string{"selector": "s1", "algorithm": "ed25519"}), 201)
	if k, _ := r.body["key"].(map[string]any); k["record"] != "s1._domainkey.example.org" || !strings.HasPrefix(k["txt"].(string), "v=DKIM1; k=ed25519") || r.body["want_rsa"] != true {
		t.Errorf("generate key: %s", r.raw)
	}
	r = f.want("list keys", f.do("GET", "/api/v1/domains/example.org/dkim", rw, nil), 200)
	if !strings.Contains(r.raw, `"selector": "s1"`) || !strings.Contains(r.raw, `"role": "signs"`) {
		t.Errorf("list keys: %s", r.raw)
	}
	f.dns.Add(f.t, "mail.example.org. A 192.0.2.10")
	r = f.want("dns plan", f.do("GET", "/api/v1/domains/example.org/dns?dmarc_reports=admin@example.org", rw, nil), 200)
	if !strings.Contains(r.raw, `"type": "MX"`) || !strings.Contains(r.raw, "s1._domainkey.example.org") || !strings.Contains(r.raw, "mailto:admin@example.org") {
		t.Errorf("dns plan: %s", r.raw)
	}
	r = f.want("dns check", f.do("GET", "/api/v1/domains/example.org/dns/check", rw, nil), 200)
	if res, _ := r.body["results"].([]any); len(res) < 5 || r.body["failed"].(float64) < 1 || !strings.Contains(r.raw, `"status": "MISSING"`) {
		t.Errorf("dns check: %s", r.raw)
	}
	f.want("remove key", f.do("DELETE", "/api/v1/domains/example.org/dkim/s1", rw, nil), 204)
	if ks, _ := keysOf(f); len(ks) != 0 {
		t.Errorf("keys left: %v", ks)
	}

	// The queue.
	id := f.enqueue("msgid-api-01")
	r = f.want("list queue", f.do("GET", "/api/v1/queue", rw, nil), 200)
	if !strings.Contains(r.raw, `"id": "`+id+`"`) || !strings.Contains(r.raw, `"pending": 1`) {
		t.Errorf("list queue: %s", r.raw)
	}
	r = f.want("show queued", f.do("GET", "/api/v1/queue/msgid-api-01", rw, nil), 200)
	if !strings.Contains(r.raw, `"address": "someone@remote.example"`) {
		t.Errorf("show queued: %s", r.raw)
	}
	f.want("retry queued", f.do("POST", "/api/v1/queue/"+id+"/retry", rw, nil), 200)
	f.want("retry all", f.do("POST", "/api/v1/queue/retry", rw, nil), 200)
	r = f.want("delete queued", f.do("DELETE", "/api/v1/queue/"+id, rw, nil), 200)
	if !strings.Contains(r.raw, id) {
		t.Errorf("delete queued: %s", r.raw)
	}
	f.want("show deleted", f.do("GET", "/api/v1/queue/"+id, rw, nil), 404)

	// Deletions.
	f.want("delete extra address", f.do("DELETE", "/api/v1/accounts/bob@example.org/addresses/robert@example.org", rw, nil), 204)
	f.want("delete account", f.do("DELETE", "/api/v1/accounts/bob@example.org", rw, nil), 204)
	f.want("delete domain", f.do("DELETE", "/api/v1/domains/"+url.PathEscape("bücher.example"), rw, nil), 204)
	if ds, _ := f.dir.Domains(ctx); len(ds) != 1 {
		t.Errorf("domains left: %v", ds)
	}
	if us, _ := f.dir.Users(ctx); len(us) != 2 {
		t.Errorf("accounts left: %v", us)
	}
	// The document is served without credentials.
	r = f.want("openapi", f.do("GET", "/api/v1/openapi.json", "", nil), 200)
	if r.body["openapi"] != "3.1.0" {
		t.Errorf("openapi.json: %.200s", r.raw)
	}
	f.want("unknown route", f.do("GET", "/api/v1/nothing", rw, nil), 404)
	r = f.want("other method", f.do("PUT", "/api/v1/domains", rw, nil), 405)
	if kind, _ := r.errKind(); r.header.Get("Allow") != "GET, POST" || kind != "method_not_allowed" {
		t.Errorf("405: Allow %q, %s", r.header.Get("Allow"), r.raw)
	}
	// Bodies that may be left out.
	f.want("unlock without a body", f.do("POST", "/api/v1/accounts/carol@example.org/unlock", rw, nil), 200)
	r = f.want("generate a key without a body", f.do("POST", "/api/v1/domains/example.org/dkim", rw, nil), 201)
	if k, _ := r.body["key"].(map[string]any); k["algorithm"] != "rsa" {
		t.Errorf("default key: %s", r.raw)
	}
	if r := f.do("GET", "/api/v1/domains", rw, nil); r.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no HSTS over HTTPS")
	}
}

func keysOf(f *fixture) ([]string, error) {
	infos, err := f.st.KVList(context.Background(), "dkim/")
	var out []string
	for _, i := range infos {
		out = append(out, i.Key)
	}
	return out, err
}

// enqueue queues a message of transaction msgID to someone@remote.example.
func (f *fixture) enqueue(msgID string) string {
	f.t.Helper()
	from, _ := mailaddr.Parse("admin@example.org")
	to, _ := mailaddr.Parse("someone@remote.example")
	const body = "Subject: hi\r\n\r\nhello\r\n"
	id, err := f.queue.Enqueue(context.Background(), &envelope.Envelope{ID: msgID, From: from}, strings.NewReader(body), int64(len(body)),
		[]envelope.Recipient{{Addr: to}})
	must(f.t, err)
	return id
}

// Failures are JSON errors of the right status, naming the field at
// fault for a validation error; nothing changes.
func TestValidationErrors(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	rw := f.rw
	f.want("setup", f.do("POST", "/api/v1/accounts", rw, map[string]string{"address": "bob@example.org", "password": "pw"}), 201)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		kind, field  string
	}{
		{"POST", "/api/v1/domains", map[string]string{}, 400, "invalid", "domain"},
		{"POST", "/api/v1/domains", map[string]string{"domain": "exa mple..org"}, 400, "invalid", "domain"},
		{"POST", "/api/v1/domains", map[string]string{"domain": "example.net", "postmaster": "nobody@example.org"}, 400, "invalid", "postmaster"},
		{"POST", "/api/v1/domains", map[string]any{"domain": 42}, 400, "invalid", "domain"},
		{"POST", "/api/v1/domains", map[string]string{"domain": "x.example", "colour": "red"}, 400, "invalid", "colour"},
		{"POST", "/api/v1/domains", `{"domain": "x.example"`, 400, "invalid", ""},
		{"POST", "/api/v1/domains", `{"domain": "x.example"} {}`, 400, "invalid", ""},
		{"POST", "/api/v1/domains", `{"domain": "` + strings.Repeat("a", 70000) + `"}`, 413, "too_large", ""},
		{"POST", "/api/v1/domains", map[string]string{"domain": "example.org"}, 409, "exists", ""},
		{"DELETE", "/api/v1/domains/example.org", nil, 400, "invalid", ""},
		{"DELETE", "/api/v1/domains/unknown.example", nil, 404, "not_found", ""},
		{"POST", "/api/v1/accounts", map[string]string{"password": "x"}, 400, "invalid", "address"},
		{"POST", "/api/v1/accounts", map[string]string{"address": "not an address"}, 400, "invalid", "address"},
		{"POST", "/api/v1/accounts", map[string]string{"address": "bob@example.org"}, 409, "exists", ""},
		{"POST", "/api/v1/accounts", map[string]string{"address": "x@unknown.example"}, 404, "not_found", ""},
		{"GET", "/api/v1/accounts/nobody@example.org", nil, 404, "not_found", ""},
		{"PATCH", "/api/v1/accounts/bob@example.org", map[string]string{}, 400, "invalid", "app_passwords_only"},
		{"PATCH", "/api/v1/accounts/bob@example.org", map[string]string{"app_passwords_only": "yes"}, 400, "invalid", "app_passwords_only"},
		{"PUT", "/api/v1/accounts/bob@example.org/quota", map[string]int{"max_bytes": -1}, 400, "invalid", "max_bytes"},
		{"PUT", "/api/v1/accounts/bob@example.org/quota", map[string]int{"max_messages": -5}, 400, "invalid", "max_messages"},
		{"PUT", "/api/v1/accounts/bob@example.org/quota", map[string]string{"max_bytes": "1GB"}, 400, "invalid", "max_bytes"},
		{"PUT", "/api/v1/accounts/bob@example.org/quota", map[string]int{}, 400, "invalid", "max_bytes"},
		{"POST", "/api/v1/accounts/bob@example.org/app-passwords", map[string]string{"name": "my phone"}, 400, "invalid", "name"},
		{"POST", "/api/v1/accounts/bob@example.org/app-passwords", map[string]string{}, 400, "invalid", "name"},
		{"DELETE", "/api/v1/accounts/bob@example.org/app-passwords/none", nil, 404, "not_found", ""},
		{"POST", "/api/v1/accounts/bob@example.org/addresses", map[string]string{}, 400, "invalid", "address"},
		{"DELETE", "/api/v1/accounts/bob@example.org/addresses/other@example.org", nil, 404, "not_found", "address"},
		{"POST", "/api/v1/aliases", map[string]any{"address": "info@example.org"}, 400, "invalid", "targets"},
		{"POST", "/api/v1/aliases", map[string]any{"address": "info@example.org", "targets": []string{"not an address"}}, 400, "invalid", "targets"},
		{"POST", "/api/v1/aliases", map[string]any{"address": "bad address", "targets": []string{"bob@example.org"}}, 400, "invalid", "address"},
		{"POST", "/api/v1/aliases", map[string]any{"address": "info@example.org", "targets": "bob@example.org"}, 400, "invalid", "targets"},
		{"DELETE", "/api/v1/aliases/none@example.org", nil, 404, "not_found", ""},
		{"POST", "/api/v1/domains/example.org/dkim", map[string]string{"algorithm": "dsa"}, 400, "invalid", "algorithm"},
		{"POST", "/api/v1/domains/example.org/dkim", map[string]string{"selector": "bad selector"}, 400, "invalid", "selector"},
		{"DELETE", "/api/v1/domains/example.org/dkim/none", nil, 404, "not_found", "selector"},
		{"GET", "/api/v1/domains/exa..mple/dkim", nil, 400, "invalid", "domain"},
		{"GET", "/api/v1/domains/example.org/dns?dmarc_reports=nobody", nil, 400, "invalid", "dmarc-reports"},
		{"GET", "/api/v1/queue/nosuchid", nil, 404, "not_found", ""},
		{"DELETE", "/api/v1/queue/nosuchid", nil, 404, "not_found", ""},
	} {
		what := c.method + " " + c.path
		r := f.do(c.method, c.path, rw, c.body)
		kind, field := r.errKind()
		if r.status != c.status || kind != c.kind || field != c.field {
			t.Errorf("%s: %d %s field %q, want %d %s field %q: %.300s", what, r.status, kind, field, c.status, c.kind, c.field, r.raw)
		}
		if msg, _ := r.body["error"].(map[string]any)["message"].(string); msg == "" {
			t.Errorf("%s: no message: %s", what, r.raw)
		}
		if r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Type %q", what, r.header.Get("Content-Type"))
		}
	}
	if ds, _ := f.dir.Domains(context.Background()); len(ds) != 1 {
		t.Errorf("domains after the refused calls: %v", ds)
	}
	if us, _ := f.dir.Users(context.Background()); len(us) != 2 {
		t.Errorf("accounts after the refused calls: %v", us)
	}
}

// Authentication: tokens and admin accounts; 401 without or with wrong
// credentials, 403 for a read-only token's changes, an account that is
// not an admin, and credentials over plain HTTP. Every change is logged
// with who made it, and no secret is logged.
func TestAuthentication(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	basic := func(user, pw string) string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, pw)
		return req.Header.Get("Authorization")
	}
	_, err := f.acc.AddUser(ctx, "user@example.org", "user-password")
	must(t, err)
	app, err := f.acc.AddAppPassword(ctx, adminAddr, "phone")
	must(t, err)
	revoked, err := f.tokens.Create(ctx, "old", false)
	must(t, err)
	must(t, f.tokens.Revoke(ctx, "old"))

	for _, c := range []struct {
		what, auth string
		status     int
		kind       string
	}{
		{"no credentials", "", 401, "unauthorized"},
		{"unknown scheme", "Digest x", 401, "unauthorized"},
		{"wrong token", "Bearer ptk.rw.AAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "unauthorized"},
		{"malformed token", "Bearer nonsense", 401, "unauthorized"},
		{"revoked token", "Bearer " + revoked.Secret, 401, "unauthorized"},
		{"wrong password", basic(adminAddr, "wrong"), 401, "unauthorized"},
		{"app password", basic(adminAddr, app), 401, "unauthorized"},
		// Answered as a wrong password: a right one is not revealed.
		{"not an admin", basic("user@example.org", "user-password"), 401, "unauthorized"},
		{"malformed basic", "Basic !!!", 401, "unauthorized"},
	} {
		r := f.do("GET", "/api/v1/domains", c.auth, nil)
		if kind, _ := r.errKind(); r.status != c.status || kind != c.kind {
			t.Errorf("%s: %d %s, want %d %s", c.what, r.status, kind, c.status, c.kind)
		}
		if c.status == 401 && !strings.Contains(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", c.what, r.header.Get("WWW-Authenticate"))
		}
	}
	f.want("admin, Basic", f.do("GET", "/api/v1/domains", basic("ADMIN@example.org", adminPassword), nil), 200)
	f.want("admin, Basic, change", f.do("POST", "/api/v1/domains", basic(adminAddr, adminPassword), map[string]string{"domain": "by-admin.example"}), 201)
	f.want("read-only token reads", f.do("GET", "/api/v1/accounts", f.ro, nil), 200)

	// A read-only token is refused every change, and nothing changes.
	before := f.do("GET", "/api/v1/domains", f.rw, nil).raw
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/domains"}, {"DELETE", "/api/v1/domains/by-admin.example"},
		{"POST", "/api/v1/accounts"}, {"PUT", "/api/v1/accounts/user@example.org/password"},
		{"PATCH", "/api/v1/accounts/user@example.org"}, {"POST", "/api/v1/queue/retry"},
		{"DELETE", "/api/v1/accounts/user@example.org"},
	} {
		r := f.do(c.method, c.path, f.ro, map[string]string{"domain": "ro.example", "address": "ro@example.org"})
		if kind, _ := r.errKind(); r.status != 403 || kind != "forbidden" {
			t.Errorf("read-only %s %s: %d %s, want 403 forbidden", c.method, c.path, r.status, kind)
		}
	}
	if after := f.do("GET", "/api/v1/domains", f.rw, nil).raw; after != before {
		t.Errorf("a read-only token changed the domains:\n%s\n%s", before, after)
	}
	if _, err := f.acc.Authenticate(ctx, "user@example.org", "user-password"); err != nil {
		t.Errorf("a read-only token changed a password: %v", err)
	}

	// Over plain HTTP, credentials are refused.
	plain := httptest.NewServer(f.srv.Config.Handler)
	defer plain.Close()
	r := doOn(t, plain.Client(), plain.URL, "GET", "/api/v1/domains", f.rw, nil)
	if kind, _ := r.errKind(); r.status != 403 || kind != "tls_required" {
		t.Errorf("plain HTTP: %d %s, want 403 tls_required", r.status, kind)
	}

	// The audit log: who changed what; refusals too; never a secret.
	f.want("change by token", f.do("POST", "/api/v1/accounts", f.rw, map[string]string{"address": "dave@example.org", "password": "dave-secret-pw"}), 201)
	logs := f.logs.String()
	for _, want := range []string{
		`"msg":"api change","who":"admin:admin@example.org","method":"POST","route":"domains"`,
		`"msg":"api change","who":"token:rw","method":"POST","route":"accounts","path":"/api/v1/accounts","status":201`,
		`"msg":"api change refused: read-only token","who":"token:ro","method":"DELETE","route":"domains/{domain}"`,
		`"msg":"api login failed"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{adminPassword, "user-password", "dave-secret-pw", app, strings.TrimPrefix(f.rw, "Bearer "), strings.TrimPrefix(f.ro, "Bearer "), "ptk.rw.AAAA"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
	if !strings.Contains(f.do("GET", "/api/v1/domains", f.rw, nil).header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("no CSP header")
	}
}

// Failed logins go through the failed-login guard: past its block
// threshold a client gets 429 with Retry-After, and its attempts are no
// longer checked, the right token included.
func TestLoginThrottling(t *testing.T) {
	const block = 4
	f := newFixture(t, authguard.Config{IPFree: block, IPBlock: block, AccountFree: 100})
	var checked, throttled int
	for i := range 2 * block {
		r := f.do("GET", "/api/v1/domains", fmt.Sprintf("Bearer ptk.rw.WRONG%021d", i), nil)
		switch r.status {
		case 401:
			checked++
		case 429:
			throttled++
			if r.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Fatalf("attempt %d: %d %s", i, r.status, r.raw)
		}
	}
	if checked > block || throttled == 0 {
		t.Errorf("%d wrong tokens checked, %d throttled; want at most %d checked", checked, throttled, block)
	}
	if r := f.do("GET", "/api/v1/domains", f.rw, nil); r.status != 429 {
		t.Errorf("the right token from a blocked client: %d, want 429", r.status)
	}
}

// Deps.Networks: a client outside them gets 403 before its credentials
// are checked (no failed login is counted); one inside is served.
func TestNetworks(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	h := f.srv.Config.Handler.(*api)
	h.Networks = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	r := f.do("GET", "/api/v1/domains", f.rw, nil)
	if kind, _ := r.errKind(); r.status != 403 || kind != "forbidden" {
		t.Errorf("outside the networks: %d %s, want 403 forbidden", r.status, kind)
	}
	h.Networks = append(h.Networks, netip.MustParsePrefix("127.0.0.0/8"))
	f.want("inside the networks", f.do("GET", "/api/v1/domains", f.rw, nil), 200)
}
