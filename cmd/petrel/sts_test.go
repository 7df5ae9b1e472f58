package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/testkit"
)

// listen443 binds port 443, where RFC 8461 §3.3 puts the policy, on a
// loopback address of its own (binding it needs root; CI runs as root).
func listen443(t *testing.T) (net.Listener, string) {
	t.Helper()
	var b [2]byte
	for range 20 {
		_, _ = rand.Read(b[:])
		ip := fmt.Sprintf("127.54.%d.%d", b[0], 1+b[1]%250)
		ln, err := net.Listen("tcp", ip+":443")
		if err == nil {
			return ln, ip
		}
		if strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("binding port 443 needs root (CI runs as root): %v", err)
		}
	}
	t.Fatal("no free loopback address for port 443")
	return nil, ""
}

// The outbound client's MTA-STS lookup: the policy host is found with
// the server's resolver (dns.servers, not the system's), the policy is
// fetched over HTTPS, and handed over with its lines for the TLS report;
// a failed fetch carries its TLS-RPT result type.
func TestSTSLookup(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	ln, ip := listen443(t)
	policy := "version: STSv1\r\nmode: enforce\r\nmx: mx.b.test\r\nmax_age: 86400\r\n"
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "mta-sts.b.test" || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, policy)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	serverTLS, clientTLS := testkit.TLS(t, "mta-sts.b.test", "")
	srv.TLS = serverTLS
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake c.test's lookup fails
	srv.StartTLS()
	t.Cleanup(srv.Close)

	zone := dnstest.Start(t)
	zone.Add(t, `_mta-sts.b.test. TXT "v=STSv1; id=20261206"`, "mta-sts.b.test. A "+ip,
		`_mta-sts.c.test. TXT "v=STSv1; id=1"`, "mta-sts.c.test. A "+ip)
	st := testkit.NewStore(t)
	l := newSTSLookup(dnsr.New([]string{zone.Addr}, 0), st, slog.New(slog.DiscardHandler), clientTLS.RootCAs)

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
