package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/mtasts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// tlsaOf is the TLSA 3 1 1 data of the certificate in the PEM file path.
func tlsaOf(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "3 1 1 " + hex.EncodeToString(sum[:])
}

// recordLine is the line of the record name/type in zone text, or "".
func recordLine(zone, name, typ string) string {
	for line := range strings.Lines(zone) {
		if strings.HasPrefix(line, name+". IN "+typ+" ") {
			return strings.TrimSpace(strings.TrimPrefix(line, name+". IN "+typ+" "))
		}
	}
	return ""
}

// petrel dns proposes the MTA-STS record of the configured policy, the
// TLS reporting record with the configured rua and the TLSA record of
// the configured certificate; petrel dns check checks each, and the
// policy URL.
func TestDNSCheckTransport(t *testing.T) {
	certDir := t.TempDir()
	testkit.TLS(t, "mail.example.org", certDir)
	certFile, keyFile := filepath.Join(certs.Dir(certDir), certs.CertFile), filepath.Join(certs.Dir(certDir), certs.KeyFile)
	extra := dnsListen + `[tls]
cert = "` + certFile + `"
key = "` + keyFile + `"
[mta_sts]
mode = "enforce"
max_age = "30d"
mx = ["mail.example.org", "*.example.org"]
[tls_rpt]
rua = "mailto:tls-reports@example.net"
`
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	e := newDNSEnv(t, extra, srv.Addr)
	zone := e.ok("", "dns", "example.org")
	cfg, errs := config.Load(e.config)
	if errs != nil {
		t.Fatal(errs)
	}
	policy, _ := mtastsServe(cfg).PolicyFor("example.org")
	for name, want := range map[string]string{
		"_mta-sts.example.org TXT":       `"v=STSv1; id=` + policy.ID + `"`,
		"mta-sts.example.org CNAME":      "mail.example.org.",
		"_smtp._tls.example.org TXT":     `"v=TLSRPTv1; rua=mailto:tls-reports@example.net"`,
		"_25._tcp.mail.example.org TLSA": tlsaOf(t, certFile),
	} {
		f := strings.Fields(name)
		if got := recordLine(zone, f[0], f[1]); got != want {
			t.Errorf("%s = %q, want %q\n%s", name, got, want, zone)
		}
	}
	for _, s := range []string{"mode enforce, mx mail.example.org *.example.org, max_age 2592000", "From tls.cert"} {
		if !strings.Contains(zone, s) {
			t.Errorf("zone lacks %q:\n%s", s, zone)
		}
	}
	// Published as proposed, but the policy host has no address (dnstest
	// does not follow the CNAME): its checks fail, the others pass.
	pub := dnstest.Start(t)
	pub.Add(t, hostRecords...)
	pub.AddExcept(t, dnstest.ParseZone(t, zone))
	e.useDNS(extra, pub.Addr)
	r := e.run("", "dns", "check", "example.org")
	for _, want := range []string{
		`OK      MTA-STS _mta-sts.example.org: "v=STSv1; id=` + policy.ID + `"` + "\n",
		`OK      TLSRPT _smtp._tls.example.org: "v=TLSRPTv1; rua=mailto:tls-reports@example.net"` + "\n",
		"OK      TLSA   _25._tcp.mail.example.org: " + tlsaOf(t, certFile) + " (matches the certificate in use)\n",
		"MISSING A/AAAA mta-sts.example.org: no record (no records); want CNAME mail.example.org.\n",
		"WRONG   POLICY https://mta-sts.example.org/.well-known/mta-sts.txt: senders cannot fetch it (sts-policy-fetch-error)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != exitFail || !strings.Contains(r.stderr, "2 of 20 checks failed (1 missing, 1 wrong, 0 lookup errors)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	// Another key in the TLSA record.
	other := dnstest.Start(t)
	other.Add(t, hostRecords...)
	other.AddExcept(t, dnstest.ParseZone(t, zone), "TLSA _25._tcp.mail.example.org.")
	other.Add(t, "_25._tcp.mail.example.org. TLSA 3 1 1 "+strings.Repeat("0f", 32))
	e.useDNS(extra, other.Addr)
	if r := e.run("", "dns", "check", "example.org"); !strings.Contains(r.stdout, "WRONG   TLSA   _25._tcp.mail.example.org: found 3 1 1 0f0f") {
		t.Errorf("TLSA of another key: %s", r.stdout)
	}
}

// Without tls.cert, the TLSA record is that of the self-signed
// certificate once petrel serve has made it, with a warning that it is
// this node's; a tls.cert that cannot be read is a warning, no record.
func TestDNSTLSASelfSigned(t *testing.T) {
	srv := dnstest.Start(t)
	e := newDNSEnv(t, dnsListen, srv.Addr)
	testkit.TLS(t, "mail.example.org", e.dataDir)
	zone := e.ok("", "dns", "example.org")
	if got, want := recordLine(zone, "_25._tcp.mail.example.org", "TLSA"), tlsaOf(t, filepath.Join(certs.Dir(e.dataDir), certs.CertFile)); got != want {
		t.Errorf("TLSA %q, want %q", got, want)
	}
	if !strings.Contains(zone, "self-signed certificate of this node") {
		t.Errorf("no note on the self-signed certificate:\n%s", zone)
	}
	bad := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.useDNS(dnsListen+"[tls]\ncert = \""+bad+"\"\nkey = \""+bad+"\"\n", srv.Addr)
	r := e.run("", "dns", "example.org")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: no TLSA record: reading the certificate") || strings.Contains(r.stdout, " IN TLSA ") {
		t.Errorf("unreadable tls.cert: exit %d, stderr %q", r.code, r.stderr)
	}
}

// The policy handler petrel serve mounts serves the policy petrel dns
// publishes, for local domains only.
func TestMTASTSHandler(t *testing.T) {
	e := newEnv(t, "[mta_sts]\nmode = \"testing\"\n[mta_sts.domain_mode]\n\"Example.NET\" = \"off\"\n")
	e.ok("", "domain", "add", "example.org")
	e.ok("", "domain", "add", "example.net")
	cfg, errs := config.Load(e.config)
	if errs != nil {
		t.Fatal(errs)
	}
	h := httptest.NewServer(mtastsHandler(cfg, e.openStore(), nil))
	defer h.Close()
	get := func(host string) (int, string) {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", h.URL+mtasts.WellKnownPath, nil)
		req.Host = host
		resp, err := h.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := get("mta-sts.example.org")
	want, _ := mtastsServe(cfg).PolicyFor("example.org")
	if code != 200 || body != want.Text() || !strings.Contains(body, "mx: mail.example.org\r\n") {
		t.Errorf("example.org: %d %q, want the policy %q", code, body, want.Text())
	}
	for _, host := range []string{"mta-sts.example.net", "mta-sts.other.example", "mail.example.org"} {
		if code, _ := get(host); code != 404 {
			t.Errorf("%s: %d, want 404", host, code)
		}
	}
}

// petrel dns warns when tlsrpt@DOMAIN, the default report address, takes
// no mail, and not once it does.
func TestDNSWarnsTLSRPTAddress(t *testing.T) {
	srv := dnstest.Start(t)
	e := newEnv(t, dnsServers(srv.Addr))
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "you@example.org", "--password-stdin")
	const warning = "warning: tlsrpt@example.org takes no mail here"
	if r := e.run("", "dns", "example.org"); r.code != 0 || !strings.Contains(r.stderr, warning) {
		t.Errorf("exit %d, stderr %q; want the warning", r.code, r.stderr)
	}
	e.ok("", "alias", "add", "tlsrpt@example.org", "you@example.org")
	if r := e.run("", "dns", "example.org"); r.code != 0 || strings.Contains(r.stderr, warning) {
		t.Errorf("with the alias: exit %d, stderr %q", r.code, r.stderr)
	}
}
