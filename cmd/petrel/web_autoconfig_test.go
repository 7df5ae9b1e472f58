package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/testkit"
)

// The handler the HTTPS listener mounts answers for the store's domains
// from the configured listen keys, over TLS on 127.0.0.1; other paths go
// to the handler it wraps.
func TestAutoconfigHandler(t *testing.T) {
	cfg := config.Default()
	cfg.Hostname, cfg.DataDir = "mail.example.org", t.TempDir()
	cfg.Listen.POP3, cfg.Listen.POP3S = nil, nil // POP3 off
	cfg.Listen.IMAPS = []string{":993"}
	st := testkit.OpenStore(t, cfg.DataDir)
	t.Cleanup(func() { st.Close() })
	acct := testkit.Accounts(st, accounts.Options{})
	testkit.AddUser(t, acct, "alice@example.org", "alice-secret")
	d := deps{cfg: cfg, st: st, accounts: acct, log: testkit.Logger(io.Discard)}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "the rest of the site", http.StatusTeapot) })
	srv := httptest.NewTLSServer(autoconfigHandler(d).Wrap(next))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := get("/mail/config-v1.1.xml?emailaddress=alice%40example.org")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	for _, want := range []string{`<emailProvider id="example.org">`, "<hostname>mail.example.org</hostname>",
		"<port>993</port>", "<port>2143</port>", "<port>2465</port>", "<port>2587</port>"} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
	if strings.Contains(body, "pop3") {
		t.Errorf("POP3 is off, yet advertised:\n%s", body)
	}
	if code, body := get("/mail/config-v1.1.xml?emailaddress=alice%40other.example"); code != 404 {
		t.Errorf("a domain of elsewhere: %d %s", code, body)
	}
	if code, _ := get("/admin/"); code != http.StatusTeapot {
		t.Errorf("another path: %d, want it passed on", code)
	}
}
