package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/store"
)

// The handler the lead mounts, on a store the CLI changes beside it: a
// token made with `petrel token create` works, a read-only one reads
// only, what the CLI adds the API lists, and the queue without a running
// queue answers 503.
func TestAPIHandlerWithCLI(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	rw := strings.TrimSpace(e.ok("", "token", "create", "ci"))
	ro := strings.TrimSpace(e.ok("", "token", "create", "--read-only", "monitor"))
	e.ok("pw\n", "user", "add", "alice@example.org", "--password-stdin")

	cfg, st := e.openConfiguredStore()
	svc := accounts.New(st, accounts.Options{SubaddressSeparator: cfg.SMTP.SubaddressSeparator})
	srv := httptest.NewTLSServer(apiHandler(deps{cfg: cfg, st: st, accounts: svc, guard: newGuard(svc), log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.Client().Do(req)
		must(t, err)
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	if code, body := call("POST", "/api/v1/accounts", rw, `{"address": "bob@example.org", "password": "bob-pw"}`); code != 201 {
		t.Fatalf("add account: %d %s", code, body)
	}
	// The CLI sees the API's account, the API the CLI's.
	if out := e.ok("", "user", "list"); out != "alice@example.org\nbob@example.org\n" {
		t.Errorf("user list = %q", out)
	}
	e.ok("", "user", "del", "alice@example.org")
	code, body := call("GET", "/api/v1/accounts", ro, "")
	var list struct{ Accounts []struct{ Address string } }
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Accounts) != 1 || list.Accounts[0].Address != "bob@example.org" {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _ := call("DELETE", "/api/v1/accounts/bob@example.org", ro, ""); code != 403 {
		t.Errorf("read-only delete: %d, want 403", code)
	}
	if code, body := call("GET", "/api/v1/queue", rw, ""); code != 503 {
		t.Errorf("queue without a runner: %d %s, want 503", code, body)
	}
	if code, body := call("POST", "/api/v1/accounts/bob@example.org/unlock", rw, `{"client": "not an ip"}`); code != 400 || !strings.Contains(body, `"field": "client"`) {
		t.Errorf("unlock with a bad client: %d %s", code, body)
	}
	e.ok("", "token", "revoke", "ci")
	if code, _ := call("GET", "/api/v1/accounts", rw, ""); code != 401 {
		t.Errorf("revoked token: %d, want 401", code)
	}
}

// openConfiguredStore opens the store of e's configuration (either
// backend) beside the CLI, closed when the test ends.
func (e *env) openConfiguredStore() (*config.Config, store.Store) {
	e.t.Helper()
	cfg, _, err := loadConfig(e.config)
	must(e.t, err)
	st, err := openStore(context.Background(), cfg, slog.New(slog.DiscardHandler), nil, false)
	must(e.t, err)
	e.t.Cleanup(func() { st.Close() })
	return cfg, st
}
