package webapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fixture is the API on a new store, served over TLS on 127.0.0.1, with
// a read-write and a read-only token and an admin account.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	st     *sqlite.Store
	acc    *accounts.Service
	dir    *ops.Directory
	queue  *queue.Service
	tokens *ops.Tokens
	dns    *dnstest.Server
	logs   *testkit.LogBuffer
	rw, ro string // "Bearer ..." of the tokens
	unlock *recordingUnlocker
}

const adminAddr, adminPassword = "admin@example.org", "admin-password-123"

// recordingUnlocker is the Unlocker of the tests.
type recordingUnlocker struct{ calls []string }

func (u *recordingUnlocker) Unlock(_ context.Context, account, client string) (ops.UnlockResult, error) {
	u.calls = append(u.calls, account+" "+client)
	return ops.UnlockResult{Account: true}, nil
}

func newFixture(t *testing.T, guard authguard.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, st: testkit.NewStore(t), logs: &testkit.LogBuffer{}, dns: dnstest.Start(t), unlock: &recordingUnlocker{}}
	f.acc = testkit.Accounts(f.st, accounts.Options{SubaddressSeparator: "+"})
	f.dir = ops.NewDirectory(f.acc, "")
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	f.queue = queue.New(queue.Config{}, queue.Deps{Store: f.st, Log: log})
	f.tokens = ops.NewTokens(f.st, nil)
	keys := ops.NewDKIM(f.st, f.dir, nil)
	r := dnsr.NewClient([]string{f.dns.Addr}, ops.DNSQueryTimeout)
	dnsOps := ops.NewDNS(dnsplan.Server{Hostname: "mail.example.org", Listen: config.Listen{SMTP: []string{"192.0.2.10:25"}}}, r, keys, f.dir)
	if guard.AccountKey == nil {
		guard.AccountKey = func(user string) string { return f.acc.AccountKey(ctx, user) }
	}
	h := New(Deps{Directory: f.dir, Tokens: f.tokens, Admins: f.acc, Queue: ops.NewQueue(f.queue), DKIM: keys, DNS: dnsOps,
		Logins: ops.NewLogins(f.unlock), Guard: authguard.New(guard), Log: log})
	f.srv = httptest.NewTLSServer(h)
	t.Cleanup(f.srv.Close)
	must(t, f.acc.AddDomain(ctx, "example.org"))
	_, err := f.acc.AddUser(ctx, adminAddr, adminPassword)
	must(t, err)
	must(t, f.acc.SetFlag(ctx, adminAddr, accounts.FlagAdmin, true))
	rw, err := f.tokens.Create(ctx, "rw", false)
	must(t, err)
	ro, err := f.tokens.Create(ctx, "ro", true)
	must(t, err)
	f.rw, f.ro = "Bearer "+rw.Secret, "Bearer "+ro.Secret
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// response is one answer of the API.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// errField returns the error's kind and field.
func (r response) errKind() (kind, field string) {
	e, _ := r.body["error"].(map[string]any)
	k, _ := e["kind"].(string)
	fl, _ := e["field"].(string)
	return k, fl
}

// do sends a request with the Authorization value auth ("" for none) and
// body (a string is sent as it is, anything else as JSON).
func (f *fixture) do(method, path, auth string, body any) response {
	f.t.Helper()
	return doOn(f.t, f.srv.Client(), f.srv.URL, method, path, auth, body)
}

func doOn(t testing.TB, c *http.Client, base, method, path, auth string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		must(t, err)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, base+path, rd)
	must(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	must(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	must(t, err)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: %d, body is not a JSON object: %q", method, path, resp.StatusCode, raw)
		}
	}
	return r
}

// want fails unless r has status.
func (f *fixture) want(what string, r response, status int) response {
	f.t.Helper()
	if r.status != status {
		f.t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
	return r
}
