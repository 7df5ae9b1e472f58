package mtasts

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// localDomains are the domains of the handler tests.
type localDomains map[string]bool

func (d localDomains) IsLocalDomain(_ context.Context, domain string) (bool, error) {
	if domain == "broken.example" {
		return false, errors.New("store down")
	}
	return d[domain], nil
}

func TestHandler(t *testing.T) {
	cfg := ServeConfig{
		Mode: ModeTesting, MX: []string{"mail.example.org"}, MaxAge: 7 * 24 * time.Hour,
		DomainMode: map[string]Mode{"example.net": ModeEnforce, "example.com": ""},
	}
	h := NewHandler(cfg, localDomains{"example.org": true, "example.net": true, "example.com": true}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(method, host, path string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	code, ctype, body := get("GET", "MTA-STS.Example.ORG:443", WellKnownPath)
	want := "version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n"
	if code != 200 || !strings.HasPrefix(ctype, "text/plain") || body != want {
		t.Errorf("example.org: %d %q %q, want 200 text/plain %q", code, ctype, body, want)
	}
	// What the handler serves is what a sender reads, with the id petrel
	// dns publishes.
	p, err := ParsePolicy(body)
	served, _ := cfg.PolicyFor("example.org")
	if err != nil || p.Mode != ModeTesting || p.Text() != body || served.ID != p.TextID() {
		t.Errorf("served policy %+v, %v", p, err)
	}
	if code, _, body := get("GET", "mta-sts.example.net", WellKnownPath); code != 200 || !strings.Contains(body, "mode: enforce\r\n") {
		t.Errorf("example.net (enforce by domain): %d %q", code, body)
	}
	if code, _, body := get("HEAD", "mta-sts.example.org", WellKnownPath); code != 200 || body != "" {
		t.Errorf("HEAD: %d %q", code, body)
	}
	for _, tc := range []struct{ method, host, path string }{
		{"GET", "mta-sts.other.example", WellKnownPath},     // not a local domain
		{"GET", "mta-sts.example.com", WellKnownPath},       // no policy for it
		{"GET", "mail.example.org", WellKnownPath},          // not a policy host
		{"GET", "example.org", WellKnownPath},               // not a policy host
		{"GET", "mta-sts.example.org", "/"},                 // another path
		{"GET", "mta-sts.example.org", WellKnownPath + "x"}, // another path
		{"GET", "mta-sts.", WellKnownPath},
		{"GET", "127.0.0.1", WellKnownPath},
	} {
		if code, _, body := get(tc.method, tc.host, tc.path); code != 404 || strings.Contains(body, "STSv1") {
			t.Errorf("%s %s%s: %d %q, want 404", tc.method, tc.host, tc.path, code, body)
		}
	}
	if code, _, _ := get("POST", "mta-sts.example.org", WellKnownPath); code != 405 {
		t.Errorf("POST: %d, want 405", code)
	}
	if code, _, body := get("GET", "mta-sts.broken.example", WellKnownPath); code != 503 || strings.Contains(body, "store down") {
		t.Errorf("domains unreadable: %d %q, want 503 without the error", code, body)
	}
}

func TestPolicyFor(t *testing.T) {
	cfg := ServeConfig{Mode: "", MX: []string{"mail.example.org"}, MaxAge: 2 * MaxMaxAge,
		DomainMode: map[string]Mode{"example.net": ModeNone}}
	if _, ok := cfg.PolicyFor("example.org"); ok {
		t.Error("a policy with mode off")
	}
	p, ok := cfg.PolicyFor("example.net")
	if !ok || p.Mode != ModeNone || p.MaxAge != MaxMaxAge || p.ID != p.TextID() {
		t.Errorf("PolicyFor = %+v, %v", p, ok)
	}
}
