package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/acme/acmetest"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/testkit"
)

// tlsProbe makes a new connection to one TLS listener and returns the
// certificate it presents, verified for mail.example.org against roots.
type tlsProbe func(roots *x509.CertPool) (*x509.Certificate, error)

func clientTLS(roots *x509.CertPool) *tls.Config {
	return &tls.Config{ServerName: "mail.example.org", RootCAs: roots}
}

func implicitProbe(addr string) tlsProbe {
	return func(roots *x509.CertPool) (*x509.Certificate, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, clientTLS(roots))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0], nil
	}
}

// starttlsProbe: EHLO, STARTTLS (RFC 3207), handshake.
func starttlsProbe(addr string) tlsProbe {
	return upgradeProbe(addr, "EHLO probe.example\r\n", "STARTTLS\r\n")
}

// upgradeProbe reads the greeting, sends each command, wants a positive
// reply to each (SMTP 2xx, IMAP "a OK", POP3 "+OK"; SMTP multi-line
// replies read whole), then handshakes.
func upgradeProbe(addr string, cmds ...string) tlsProbe {
	return func(roots *x509.CertPool) (*x509.Certificate, error) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		reply := func() (string, error) {
			for {
				line, err := r.ReadString('\n')
				if err != nil || len(line) < 4 || line[3] != '-' {
					return line, err
				}
			}
		}
		if _, err := reply(); err != nil {
			return nil, err
		}
		for _, cmd := range cmds {
			fmt.Fprint(c, cmd)
			line, err := reply()
			if err != nil || !(line[0] == '2' || strings.HasPrefix(line, "a OK") || strings.HasPrefix(line, "+OK")) {
				return nil, fmt.Errorf("%q: %q %v", cmd, line, err)
			}
		}
		tc := tls.Client(c, clientTLS(roots))
		if err := tc.Handshake(); err != nil {
			return nil, err
		}
		return tc.ConnectionState().PeerCertificates[0], nil
	}
}

var metricLine = regexp.MustCompile(`(?m)^(petrel_acme_\w+)\{([^}]*)\} (\S+)$`)

// acmeMetrics reads the petrel_acme_ series of /metrics.
func acmeMetrics(t *testing.T, httpAddr string) map[string]float64 {
	t.Helper()
	_, body := testkit.HTTPGet(t, "http://"+httpAddr+"/metrics")
	out := map[string]float64{}
	for _, m := range metricLine.FindAllStringSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(m[3], 64)
		out[m[1]+"{"+m[2]+"}"] = v
	}
	return out
}

// Issue 15: a server with [acme] on gets its certificate from the CA
// (pebble) over TLS-ALPN-01, every TLS listener (STARTTLS on SMTP,
// submission and IMAP, STLS on POP3, implicit TLS on 465, 993, 995 and
// HTTPS) serves it, a renewal
// (forced by a short-lived certificate) reaches a new connection on each
// listener while an open connection goes on, and with the CA unreachable a
// failed renewal is counted while the certificate in use stays.
func TestACMEServe(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	addr := map[string]string{}
	for _, k := range []string{"smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "https", "http_acme", "http"} {
		addr[k] = testkit.FreeAddr(t)
	}
	portOf := func(a string) int { _, p, _ := net.SplitHostPort(a); n, _ := strconv.Atoi(p); return n }
	dns := dnstest.Start(t)
	dns.Add(t, "mail.example.org. 60 IN A 127.0.0.1")
	pebble := acmetest.Start(t, acmetest.Options{HTTPPort: portOf(addr["http_acme"]), TLSPort: portOf(addr["https"]),
		DNS: dns.Addr, Validity: 2 * time.Minute})
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, pebble.RootsPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fmt.Sprintf(`[listen]
smtp = [%q]
submission = [%q]
submissions = [%q]
imap = [%q]
imaps = [%q]
pop3 = [%q]
pop3s = [%q]
https = [%q]
http_acme = [%q]
http = [%q]
[acme]
enabled = true
directory = %q
ca_roots = %q
email = "ops@example.org"
`, addr["smtp"], addr["submission"], addr["submissions"], addr["imap"], addr["imaps"], addr["pop3"], addr["pop3s"], addr["https"], addr["http_acme"], addr["http"],
		pebble.Directory, roots))

	stderr := serveInBackgroundWith(t, e, func(a *app) {
		a.tuneACME = func(c *acme.Config) {
			c.RenewCheckInterval, c.RenewalWindowRatio, c.DisableARI = 300*time.Millisecond, 0.95, true
		}
	})

	probes := map[string]tlsProbe{
		"smtp (STARTTLS)": starttlsProbe(addr["smtp"]), "submission (STARTTLS)": starttlsProbe(addr["submission"]),
		"submissions":     implicitProbe(addr["submissions"]),
		"imap (STARTTLS)": upgradeProbe(addr["imap"], "a STARTTLS\r\n"), "imaps": implicitProbe(addr["imaps"]),
		"pop3 (STLS)": upgradeProbe(addr["pop3"], "STLS\r\n"), "pop3s": implicitProbe(addr["pop3s"]),
		"https": implicitProbe(addr["https"]),
	}
	// serials waits until every listener presents a certificate from the
	// CA that differs from old (nil: any), and returns it.
	serials := func(old *x509.Certificate, what string) *x509.Certificate {
		t.Helper()
		var got *x509.Certificate
		for name, probe := range probes {
			deadline := time.Now().Add(time.Minute)
			for {
				c, err := probe(pebble.IssuerRoots)
				if err == nil && (old == nil || c.SerialNumber.Cmp(old.SerialNumber) != 0) {
					got = c
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: %s: no such certificate within a minute (last error %v)\n%s", name, what, err, stderr.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		return got
	}
	first := serials(nil, "the CA's certificate")

	// A connection open across the renewal.
	imap, err := tls.Dial("tcp", addr["imaps"], clientTLS(pebble.IssuerRoots))
	if err != nil {
		t.Fatal(err)
	}
	defer imap.Close()
	ir := bufio.NewReader(imap)
	if line, err := ir.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		t.Fatalf("imaps greeting %q %v", line, err)
	}

	renewed := serials(first, "the renewed certificate")
	if string(renewed.RawSubjectPublicKeyInfo) != string(first.RawSubjectPublicKeyInfo) {
		t.Error("the renewal changed the key")
	}
	imap.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(imap, "a1 NOOP\r\n")
	if line, err := ir.ReadString('\n'); err != nil || !strings.HasPrefix(line, "a1 OK") {
		t.Errorf("the connection open across the renewal: %q %v", line, err)
	}

	// HTTPS: the web handler (404 for now), over HTTP/2.
	web := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: clientTLS(pebble.IssuerRoots), ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr["https"])
		}}}
	if resp, err := web.Get("https://mail.example.org/"); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.ProtoMajor != 2 {
			t.Errorf("https: %s %s, want HTTP/2 404", resp.Proto, resp.Status)
		}
	}

	// Plain HTTP: challenges only, the rest goes to https.
	req, _ := http.NewRequest("GET", "http://"+addr["http_acme"]+"/x?y=1", nil)
	req.Host = "mail.example.org"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Do(req); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://mail.example.org/x?y=1" {
			t.Errorf("http_acme: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	pebble.SetDown(true)
	failures := `petrel_acme_failures_total{name="mail.example.org",op="renew"}`
	for deadline := time.Now().Add(time.Minute); acmeMetrics(t, addr["http"])[failures] < 1; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no failed renewal counted within a minute: %v", acmeMetrics(t, addr["http"]))
		}
	}
	current := serials(nil, "a certificate while the CA is down")
	for name, probe := range probes {
		if c, err := probe(pebble.IssuerRoots); err != nil || c.SerialNumber.Cmp(current.SerialNumber) != 0 {
			t.Errorf("%s after the failed renewal: %v, want the certificate in use", name, err)
		}
	}
	if current.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Error("after the failed renewal: the first certificate again")
	}
	days := acmeMetrics(t, addr["http"])[`petrel_acme_certificate_expiry_days{name="mail.example.org"}`]
	if want := time.Until(current.NotAfter).Hours() / 24; days <= 0 || days > want+0.001 {
		t.Errorf("expiry days %v, want about %v", days, want)
	}
	if !strings.Contains(stderr.String(), "ACME certificate not renewed") {
		t.Errorf("the failed renewal is not in the log:\n%s", stderr.String())
	}
}
