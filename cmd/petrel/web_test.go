package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"github.com/petrelmail/petrel/internal/config"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/testkit"
)

func TestRedirectHTTPS(t *testing.T) {
	for _, tc := range []struct{ host, target, code, location string }{
		{"mail.example.org", "/a/b?c=d", "301", "https://mail.example.org/a/b?c=d"},
		{"mail.example.org:80", "/", "301", "https://mail.example.org/"},
		{"[2001:db8::1]:80", "/x", "301", "https://[2001:db8::1]/x"},
		{"", "/", "404", ""},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", tc.target, nil)
		r.Host = tc.host
		redirectHTTPS(w, r)
		if got := fmt.Sprint(w.Code); got != tc.code || w.Header().Get("Location") != tc.location {
			t.Errorf("Host %q %s: %s Location %q, want %s %q", tc.host, tc.target, got, w.Header().Get("Location"), tc.code, tc.location)
		}
	}
}

// Without ACME, listen.https serves the web handler with the [tls]
// certificate and listen.http_acme redirects to https.
func TestServeHTTPSWithoutACME(t *testing.T) {
	httpsAddr, plainAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = [%q]\nsmtp = []\nsubmission = []\nsubmissions = []\n"+
		"imap = []\nimaps = [%q]\npop3 = []\npop3s = []\nhttps = [%q]\nhttp_acme = [%q]\n",
		testkit.FreeAddr(t), testkit.FreeAddr(t), httpsAddr, plainAddr))
	if r := e.run("", "domain", "add", "example.net"); r.code != 0 {
		t.Fatalf("domain add: %+v", r)
	}
	token := strings.TrimSpace(e.ok("", "token", "create", "--read-only", "monitor"))
	stderr := serveInBackground(t, e)
	client := testkit.TrustCert(t, filepath.Join(certs.Dir(e.dataDir), certs.CertFile), "mail.example.org")
	web := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: client},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := web.Get("https://" + httpsAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("https: %s over %v", resp.Status, resp.TLS)
	}
	// The MTA-STS policy of a local domain, by host (RFC 8461 §3.3);
	// another domain's host is 404.
	for host, want := range map[string]string{"mta-sts.example.net": "200 OK", "mta-sts.elsewhere.test": "404 Not Found"} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+httpsAddr+"/.well-known/mta-sts.txt", nil)
		req.Host = host
		resp, err := web.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Status != want {
			t.Errorf("%s: %s, want %s", host, resp.Status, want)
		} else if want == "200 OK" && (!strings.HasPrefix(string(body), "version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\n") ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain")) {
			t.Errorf("%s: policy %q (%s), want mode testing for mx mail.example.org as text/plain", host, body, resp.Header.Get("Content-Type"))
		}
	}
	// Thunderbird's autoconfig for a local domain, on its own host.
	req, _ := http.NewRequest(http.MethodGet, "https://"+httpsAddr+"/.well-known/autoconfig/mail/config-v1.1.xml", nil)
	req.Host = "example.net"
	if resp, err = web.Do(req); err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<clientConfig") || !strings.Contains(string(body), "example.net") {
		t.Errorf("autoconfig of example.net: %s\n%s", resp.Status, body)
	}
	// The admin API: no credentials 401, a token made with the CLI lists
	// the domains.
	for _, tc := range []struct {
		auth, want string
	}{{"", "401"}, {"Bearer " + token, "200"}} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+httpsAddr+"/api/v1/domains", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := web.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(resp.Status, tc.want) || (tc.want == "200" && !strings.Contains(string(body), "example.net")) {
			t.Errorf("GET /api/v1/domains (credentials: %v): %s %s", tc.auth != "", resp.Status, body)
		}
	}
	resp, err = web.Get("http://" + plainAddr + "/.well-known/acme-challenge/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://127.0.0.1/") {
		t.Errorf("http_acme without ACME: %s Location %q", resp.Status, resp.Header.Get("Location"))
	}
	for _, want := range []string{"listener=https addr=" + httpsAddr, "listener=http_acme addr=" + plainAddr} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// The names ACME gets certificates for besides [acme] names: mta-sts.D
// for each local domain with a policy, none without an HTTPS listener.
func TestPublishedNames(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	for _, d := range []string{"example.org", "example.net", "quiet.test"} {
		if err := st.AddDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Hostname = "mail.example.org"
	cfg.MTASTS.DomainMode = map[string]string{"quiet.test": "off"}
	if names, err := publishedNames(ctx, cfg, st); err != nil || len(names) != 0 {
		t.Errorf("without listen.https: %q, %v; want none", names, err)
	}
	cfg.Listen.HTTPS = []string{"127.0.0.1:443"}
	names, err := publishedNames(ctx, cfg, st)
	slices.Sort(names)
	want := []string{"autoconfig.example.net", "autoconfig.example.org", "autoconfig.quiet.test",
		"autodiscover.example.net", "autodiscover.example.org", "autodiscover.quiet.test",
		"mta-sts.example.net", "mta-sts.example.org"}
	if err != nil || !slices.Equal(names, want) {
		t.Errorf("published names %q, %v; want %q", names, err, want)
	}
}
