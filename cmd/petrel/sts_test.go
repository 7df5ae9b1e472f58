package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/testkit"
)

// onOwnLoopback calls bind with a loopback address of its own (prefix.x.y,
// so that nothing else on the machine is in the way) until it succeeds,
// for a well-known port that only root may bind (CI runs as root).
func onOwnLoopback(t *testing.T, prefix string, bind func(ip string) error) string {
	t.Helper()
	var b [2]byte
	for range 20 {
		_, _ = rand.Read(b[:])
		ip := fmt.Sprintf("%s.%d.%d", prefix, b[0], 1+b[1]%250)
		err := bind(ip)
		if err == nil {
			return ip
		}
		if strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("binding a port below 1024 needs root (CI runs as root): %v", err)
		}
	}
	t.Fatalf("no free address in %s.0.0/16", prefix)
	return ""
}

// policyServer serves policy as the MTA-STS policy of domain on port
// 443 (RFC 8461 §3.3) of a loopback address of its own, with a
// self-signed certificate for mta-sts.DOMAIN; it returns the address and
// the certificate's file.
func policyServer(t *testing.T, domain, policy string) (ip, certFile string) {
	t.Helper()
	var ln net.Listener
	ip = onOwnLoopback(t, "127.54", func(ip string) (err error) {
		ln, err = net.Listen("tcp", ip+":443")
		return err
	})
	host := "mta-sts." + domain
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != host || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, policy)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	dir := t.TempDir()
	srv.TLS, _ = testkit.TLS(t, host, dir)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes that tests make fail
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return ip, filepath.Join(certs.Dir(dir), certs.CertFile)
}

// The outbound client's MTA-STS lookup: the policy host is found with
// the server's resolver (dns.servers, not the system's), the policy is
// fetched over HTTPS, and handed over with its lines for the TLS report;
// a failed fetch carries its TLS-RPT result type.
func TestSTSLookup(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	ip, certFile := policyServer(t, "b.test", "version: STSv1\r\nmode: enforce\r\nmx: mx.b.test\r\nmax_age: 86400\r\n")
	roots, err := outboundRoots(certFile)
	if err != nil {
		t.Fatal(err)
	}
	zone := dnstest.Start(t)
	zone.Add(t, `_mta-sts.b.test. TXT "v=STSv1; id=20261206"`, "mta-sts.b.test. A "+ip,
		`_mta-sts.c.test. TXT "v=STSv1; id=1"`, "mta-sts.c.test. A "+ip)
	st := testkit.NewStore(t)
	l := newSTSLookup(dnsr.New([]string{zone.Addr}, 0), st, slog.New(slog.DiscardHandler), roots)

	p, err := l.Lookup(context.Background(), "b.test")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Enforce || p.Testing || p.ID != "20261206" || p.MatchMX == nil || !p.MatchMX("mx.b.test") || p.MatchMX("mx.evil.test") {
		t.Errorf("policy %+v: want enforce, id 20261206, matching mx.b.test only", p)
	}
	if !slices.Contains(p.Strings, "mx: mx.b.test") || !slices.Contains(p.Strings, "mode: enforce") {
		t.Errorf("policy lines %q, want the policy's", p.Strings)
	}

	// c.test's policy host has no certificate for its name.
	_, err = l.Lookup(context.Background(), "c.test")
	var se *smtpclient.STSError
	if !errors.As(err, &se) || se.ResultType != "sts-webpki-invalid" {
		t.Errorf("a policy host with another name's certificate: %v, want sts-webpki-invalid", err)
	}
	// No record: no policy.
	if p, err := l.Lookup(context.Background(), "d.test"); err != nil || p.Enforce || p.Testing {
		t.Errorf("no _mta-sts record: %+v, %v; want no policy", p, err)
	}
}

// delivery.tls_ca_file: unset is the system's roots (nil); a file that
// is missing or holds no certificate stops serve; a certificate in it is
// trusted.
func TestOutboundRoots(t *testing.T) {
	if p, err := outboundRoots(""); p != nil || err != nil {
		t.Errorf("unset: %v, %v; want nil, nil", p, err)
	}
	dir := t.TempDir()
	if _, err := outboundRoots(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("a missing file was accepted")
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := outboundRoots(junk); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a file without a certificate: %v", err)
	}
	cert, _ := selfSigned(t, "relay.internal.test")
	pool, err := outboundRoots(cert)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cert)
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: "relay.internal.test"}); err != nil {
		t.Errorf("the file's certificate is not trusted: %v", err)
	}
}
