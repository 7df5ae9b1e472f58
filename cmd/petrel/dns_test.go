package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

var updateDNSGolden = flag.Bool("update-dns", false, "rewrite the golden files of testdata/dns")

// dnsFixtureKeys holds the DKIM keys of example.org that the dns tests
// use, shared with internal/dnsplan's tests.
var dnsFixtureKeys = filepath.Join("..", "..", "internal", "dnsplan", "testdata", "dkim")

// dnsListen is the [listen] section of the dns tests: SMTP on a public
// address, IMAP and POP3 without STARTTLS off, POP3S on a port behind NAT.
const dnsListen = `[listen]
smtp = ["192.0.2.10:25"]
submission = [":587"]
submissions = ["0.0.0.0:465"]
imap = []
imaps = ["[::]:993"]
pop3 = []
pop3s = ["[2001:db8::10]:2995"]
`

// newDNSEnv is a configuration with hostname mail.example.org, the local
// domain example.org with an account and the alias tlsrpt@, and its two
// fixture DKIM keys (an Ed25519 key made after the RSA one, their Created
// lines say) in the store, asking DNS at addr.
func newDNSEnv(t *testing.T, listen, addr string) *env {
	t.Helper()
	e := newEnv(t, listen+dnsServers(addr))
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "you@example.org", "--password-stdin") // postmaster@ reaches it
	e.ok("", "alias", "add", "tlsrpt@example.org", "you@example.org")  // TLS reports (_smtp._tls)
	src := filepath.Join(dnsFixtureKeys, "example.org")
	dst := filepath.Join(e.dataDir, "dkim", "example.org")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rsa-202601.pem", "ed-202603.pem"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st := e.openStore()
	if imported, _, err := dkim.Import(context.Background(), st, filepath.Join(e.dataDir, "dkim")); err != nil || len(imported) != 2 {
		t.Fatalf("importing the fixture keys: %q, %v", imported, err)
	}
	st.Close()
	return e
}

func dnsServers(addr string) string { return fmt.Sprintf("[dns]\nservers = [%q]\n", addr) }

// useDNS points the configuration at another DNS server.
func (e *env) useDNS(listen, addr string) {
	e.t.Helper()
	body := "hostname = \"mail.example.org\"\ndata_dir = \"" + e.dataDir + "\"\n" + listen + dnsServers(addr)
	if err := os.WriteFile(e.config, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// hostRecords are the addresses mail.example.org has in DNS before any
// record of petrel dns is published.
var hostRecords = []string{"mail.example.org. A 192.0.2.10", "mail.example.org. AAAA 2001:db8::10"}

// checkGolden compares got with testdata/dns/name, or rewrites it with
// -update-dns.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "dns", name)
	if *updateDNSGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -run %s -update-dns rewrites it):\n%s", path, t.Name(), got)
	}
}

func TestDNSRecordsGolden(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	e := newDNSEnv(t, dnsListen, srv.Addr)
	r := e.run("", "dns", "example.org")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	checkGolden(t, "example.org.zone", r.stdout)

	// What a name server reads from it.
	got := map[string]int{}
	var dkimRSA string
	for _, rr := range dnstest.ParseZone(t, r.stdout) {
		h := rr.Header()
		got[dns.TypeToString[h.Rrtype]+" "+h.Name]++
		if txt, ok := rr.(*dns.TXT); ok && h.Name == "rsa-202601._domainkey.example.org." {
			for _, s := range txt.Txt {
				if len(s) > 255 {
					t.Errorf("a character-string of %d octets", len(s))
				}
			}
			dkimRSA = strings.Join(txt.Txt, "")
		}
	}
	want := map[string]int{
		"MX example.org.": 1, "A mail.example.org.": 1, "AAAA mail.example.org.": 1,
		"TXT example.org.": 1, "TXT mail.example.org.": 1, "TXT rsa-202601._domainkey.example.org.": 1,
		"TXT ed-202603._domainkey.example.org.": 1, "TXT _dmarc.example.org.": 1,
		"SRV _submissions._tcp.example.org.": 1, "SRV _submission._tcp.example.org.": 1,
		"SRV _imaps._tcp.example.org.": 1, "SRV _imap._tcp.example.org.": 1,
		"SRV _pop3s._tcp.example.org.": 1, "SRV _pop3._tcp.example.org.": 1,
		"TXT _mta-sts.example.org.": 1, "CNAME mta-sts.example.org.": 1, "TXT _smtp._tls.example.org.": 1,
		"PTR 10.2.0.192.in-addr.arpa.": 1,
		"PTR 0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": 1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records = %v\nwant      %v", got, want)
	}
	ring, err := dkim.Load(context.Background(), e.openStore())
	if err != nil {
		t.Fatal(err)
	}
	if keys := ring.Keys("example.org"); len(keys) != 2 || dkimRSA != keys[1].TXT() {
		t.Errorf("RSA key record joins to %q, want the key file's record", dkimRSA)
	}
}

func TestDNSRecordsKeyRotation(t *testing.T) {
	srv := dnstest.Start(t)
	e := newDNSEnv(t, dnsListen, srv.Addr)
	dir := filepath.Join(e.dataDir, "dkim")
	now := time.Now()
	st := e.openStore()
	for sel, created := range map[string]time.Time{"ed-new": now.Add(-48 * time.Hour), "ed-newer": now} {
		if _, err := dkim.Generate(context.Background(), st, "example.org", sel, dkim.Ed25519, created); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if err := os.WriteFile(filepath.Join(dir, "example.org", "broken.pem"), []byte("no key"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("", "dns", "example.org")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: dkim: skipping") || !strings.Contains(r.stderr, "broken.pem") {
		t.Fatalf("exit %d, stderr %q; want 0 and a warning about broken.pem", r.code, r.stderr)
	}
	from := now.Add(dkim.ActivationDelay).UTC().Format("2006-01-02 15:04 MST")
	for _, want := range []string{
		"; ed-newer: signs from " + from + " in place of ed-new: publish it before then.\ned-newer._domainkey.example.org. IN TXT",
		"; ed-new: signs now.\ned-new._domainkey.example.org. IN TXT",
		"; ed-202603: replaced by a newer key: keep the record a few days",
		"; rsa-202601: signs now.\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestDNSRecordsWithoutPublicAddress(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, "mail.example.org. A 10.0.0.5")
	e := newEnv(t, "[listen]\nsmtp = [\"127.0.0.1:2525\"]\n"+dnsServers(srv.Addr))
	r := e.run("", "dns", "other.example")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: other.example is not a local domain") {
		t.Errorf("stderr %q, want a warning about the domain", r.stderr)
	}
	for _, want := range []string{
		"; mail.example.org needs A (IPv4) and/or AAAA (IPv6) records with the public",
		"; 10.0.0.5 (private: in DNS), 127.0.0.1 (loopback: listen.smtp, listen.submission",
		"; Reverse DNS: once mail.example.org has public addresses",
		"; DKIM: other.example has no key yet. Run\n;   petrel dkim generate other.example\n",
		"other.example. IN MX 10 mail.example.org.\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, rr := range dnstest.ParseZone(t, r.stdout) {
		if a, ok := rr.(*dns.A); ok {
			t.Errorf("an address record for a non-public address: %v", a)
		}
	}
}

func TestDNSRecordsInternationalDomain(t *testing.T) {
	srv := dnstest.Start(t)
	e := newEnv(t, dnsServers(srv.Addr))
	e.ok("", "domain", "add", "bücher.example")
	e.ok("pw\n", "user", "add", "you@bücher.example", "--password-stdin")
	r := e.run("", "dns", "Bücher.example")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"; DNS records for bücher.example (xn--bcher-kva.example)",
		"xn--bcher-kva.example. IN MX 10 mail.example.org.\n",
		`_dmarc.xn--bcher-kva.example. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@xn--bcher-kva.example"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// Issue 13: petrel dns asked for DMARC reports to postmaster@DOMAIN even
// when that address would bounce them. It asks for them only at an
// address that takes mail, and warns when there is none.
func TestDNSReportsAddress(t *testing.T) {
	srv := dnstest.Start(t)
	e := newEnv(t, dnsServers(srv.Addr))
	e.ok("", "domain", "add", "example.org")
	dmarc := func(args ...string) (record, stderr string) {
		t.Helper()
		r := e.run("", append([]string{"dns", "example.org"}, args...)...)
		if r.code != 0 {
			t.Fatalf("petrel dns %q: exit %d: %s", args, r.code, r.stderr)
		}
		for line := range strings.Lines(r.stdout) {
			if strings.HasPrefix(line, "_dmarc.example.org. IN TXT ") {
				return strings.TrimSpace(strings.TrimPrefix(line, "_dmarc.example.org. IN TXT ")), r.stderr
			}
		}
		t.Fatalf("no DMARC record in:\n%s", r.stdout)
		return "", ""
	}
	// No account: postmaster@ reaches no one.
	rec, stderr := dmarc()
	if rec != `"v=DMARC1; p=none"` || !strings.Contains(stderr, "postmaster@example.org reaches no account") {
		t.Errorf("without an account: %s, stderr %q", rec, stderr)
	}
	e.ok("pw\n", "user", "add", "you@example.org", "--password-stdin")
	if rec, stderr = dmarc(); rec != `"v=DMARC1; p=none; rua=mailto:postmaster@example.org"` || strings.Contains(stderr, "reaches no account") {
		t.Errorf("with an account: %s, stderr %q", rec, stderr)
	}
	if rec, stderr = dmarc("--dmarc-reports", "dmarc@example.org"); rec != `"v=DMARC1; p=none"` ||
		!strings.Contains(stderr, "dmarc@example.org reaches no account") {
		t.Errorf("--dmarc-reports to nowhere: %s, stderr %q", rec, stderr)
	}
	e.ok("", "alias", "add", "dmarc@example.org", "you@example.org")
	if rec, stderr = dmarc("--dmarc-reports=dmarc@example.org"); rec != `"v=DMARC1; p=none; rua=mailto:dmarc@example.org"` || strings.Contains(stderr, "reaches no account") {
		t.Errorf("--dmarc-reports to an alias: %s, stderr %q", rec, stderr)
	}
	if rec, _ = dmarc("--dmarc-reports", "reports@dmarc.example"); rec != `"v=DMARC1; p=none; rua=mailto:reports@dmarc.example"` {
		t.Errorf("--dmarc-reports elsewhere: %s", rec)
	}
	if r := e.run("", "dns", "example.org", "--dmarc-reports", "not an address"); r.code != exitFail || !strings.Contains(r.stderr, "not an address") {
		t.Errorf("invalid --dmarc-reports: exit %d, %q", r.code, r.stderr)
	}
}

func TestDNSUsage(t *testing.T) {
	e := newEnv(t, "")
	for _, args := range [][]string{
		{"dns"}, {"dns", "check"}, {"dns", "a.example", "b.example"}, {"dns", "check", "a.example", "b.example"},
	} {
		if r := e.run("", args...); r.code != exitUsage || !strings.Contains(r.stderr, "usage: petrel dns [check] DOMAIN") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := e.run("", "dns", "exa mple..org"); r.code != exitUsage || !strings.Contains(r.stderr, "invalid domain") {
		t.Errorf("invalid domain: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(e.dataDir); !os.IsNotExist(err) {
		t.Errorf("usage errors created the data directory (stat: %v)", err)
	}
}

// petrel dns warns when the MX does not listen on port 25.
func TestDNSWarnsSMTPOffPort25(t *testing.T) {
	srv := dnstest.Start(t)
	e := newEnv(t, "[listen]\nsmtp = [\"127.0.0.1:2525\"]\n"+dnsServers(srv.Addr))
	r := e.run("", "dns", "example.org")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: listen.smtp is 127.0.0.1:2525, not port 25") ||
		!strings.Contains(r.stderr, "mail.example.org on port 25") {
		t.Errorf("stderr %q, want a warning about port 25", r.stderr)
	}
	e = newEnv(t, "[listen]\nsmtp = [\"127.0.0.1:2525\", \":25\"]\n"+dnsServers(srv.Addr))
	if r := e.run("", "dns", "example.org"); r.code != 0 || strings.Contains(r.stderr, "port 25") {
		t.Errorf("with :25: exit %d, stderr %q", r.code, r.stderr)
	}
}

// With listen.https on, petrel dns prints where clients fetch their
// settings (README "Client autoconfiguration"); the golden test above has
// it off, and none of them.
func TestDNSAutoconfigRecords(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	e := newDNSEnv(t, dnsListen+"https = [\"[::]:443\"]\n", srv.Addr)
	r := e.run("", "dns", "example.org")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	got := map[string]string{}
	for _, rr := range dnstest.ParseZone(t, r.stdout) {
		switch rr := rr.(type) {
		case *dns.CNAME:
			got[rr.Hdr.Name] = rr.Target
		case *dns.SRV:
			got[rr.Hdr.Name] = fmt.Sprintf("%d %s", rr.Port, rr.Target)
		}
	}
	for name, want := range map[string]string{
		"autoconfig.example.org.":         "mail.example.org.",
		"autodiscover.example.org.":       "mail.example.org.",
		"_autodiscover._tcp.example.org.": "443 mail.example.org.",
	} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q\n%s", name, got[name], want, r.stdout)
		}
	}
}
