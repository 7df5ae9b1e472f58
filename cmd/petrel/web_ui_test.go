package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/testkit"
)

// webUIConfig is a configuration with listen.https, listen.http,
// imaps and submissions on, listen.smtp on smtpAddr ("" for off), plus
// extra.
func webUIConfig(t *testing.T, httpsAddr, smtpAddr, extra string) string {
	smtp := "[]"
	if smtpAddr != "" {
		smtp = fmt.Sprintf("[%q]", smtpAddr)
	}
	return fmt.Sprintf("[listen]\nhttp = [%q]\nsmtp = %s\nsubmission = []\nsubmissions = [%q]\n"+
		"imap = []\nimaps = [%q]\npop3 = []\npop3s = []\nhttps = [%q]\n%s",
		testkit.FreeAddr(t), smtp, testkit.FreeAddr(t), testkit.FreeAddr(t), httpsAddr, extra)
}

// webClient trusts the server's certificate and follows no redirect.
func webClient(t *testing.T, e *env) *http.Client {
	client := testkit.TrustCert(t, filepath.Join(certs.Dir(e.dataDir), certs.CertFile), "mail.example.org")
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: client},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// [http] admin_networks closes /admin/ and /api/v1/ to other clients of
// the running server; /account/ and the autoconfig paths stay open.
func TestServeAdminNetworks(t *testing.T) {
	httpsAddr := testkit.FreeAddr(t)
	e := newEnv(t, webUIConfig(t, httpsAddr, "", "[http]\nadmin_networks = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"))
	e.ok("", "domain", "add", "example.net")
	serveInBackground(t, e)
	web := webClient(t, e)
	for path, want := range map[string]int{
		"/admin/login":    http.StatusForbidden,
		"/api/v1/domains": http.StatusForbidden,
		"/account/login":  http.StatusOK,
		"/.well-known/autoconfig/mail/config-v1.1.xml": http.StatusOK,
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+httpsAddr+path, nil)
		req.Host = "example.net"
		resp, err := web.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s from 127.0.0.1: %s, want %d (%.200s)", path, resp.Status, want, body)
		}
		if path == "/account/login" && !strings.Contains(string(body), `name="csrf"`) {
			t.Errorf("the account login page has no CSRF token: %.300s", body)
		}
	}
}

// [http] max_connections_per_ip bounds one client's connections to the
// HTTPS listener of the running server: past it a new connection is
// closed at once, before a TLS handshake; closing one frees its slot.
func TestServeHTTPConnectionLimit(t *testing.T) {
	httpsAddr := testkit.FreeAddr(t)
	e := newEnv(t, webUIConfig(t, httpsAddr, "", "[http]\nmax_connections_per_ip = 3\n"))
	serveInBackground(t, e)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", httpsAddr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	over, err := net.Dial("tcp", httpsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the 4th idle connection of one client: read %v, want EOF (closed at once)", err)
	}
	held[0].Close()
	held = held[1:]
	// The server frees the slot once it reads the close: a request gets
	// through within a few tries.
	web := webClient(t, e)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := web.Get("https://" + httpsAddr + "/account/login")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /account/login: %s", resp.Status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request got through after a slot came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
