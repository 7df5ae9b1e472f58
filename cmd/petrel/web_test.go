package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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
		"imap = []\nimaps = []\npop3 = []\npop3s = []\nhttps = [%q]\nhttp_acme = [%q]\n",
		testkit.FreeAddr(t), httpsAddr, plainAddr))
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
