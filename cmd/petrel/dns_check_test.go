package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// The logic of petrel dns check is tested in internal/dnsplan; these tests
// pin what the command prints and its exit status.

// checkConfig is the configuration of the check tests: dnsListen without
// MTA-STS, whose policy host they do not serve (TestDNSCheckTransport
// covers it; internal/dnsplan fetches a policy).
const checkConfig = dnsListen + "[mta_sts]\nmode = \"off\"\n"

// dnsCheckCase changes the published records before petrel dns check runs.
type dnsCheckCase struct {
	drop []string // "TYPE owner." of records left out
	add  []string // zone-file lines added
}

// published is what petrel dns prints for example.org with dnsListen, as
// records, with the address records mail.example.org already has.
func published(t *testing.T) (*env, []dns.RR) {
	t.Helper()
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	e := newDNSEnv(t, checkConfig, srv.Addr)
	return e, dnstest.ParseZone(t, e.ok("", "dns", "example.org"))
}

// runCheck serves rrs as changed by tc and runs petrel dns check.
func runCheck(t *testing.T, e *env, rrs []dns.RR, tc dnsCheckCase) result {
	t.Helper()
	srv := dnstest.Start(t)
	srv.AddExcept(t, rrs, tc.drop...)
	srv.Add(t, tc.add...)
	e.useDNS(checkConfig, srv.Addr)
	return e.run("", "dns", "check", "example.org")
}

// checkLines asserts that exactly the lines of want are not OK, with
// their status, and the exit status that follows.
func checkLines(t *testing.T, r result, want []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 16 {
		t.Errorf("%d lines, want 16 (one per check):\n%s", len(lines), r.stdout)
	}
	seen := map[string]bool{}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Errorf("line %q: want STATUS KIND NAME: DETAILS", line)
			continue
		}
		key := f[1] + " " + strings.TrimSuffix(f[2], ":")
		i := slices.IndexFunc(want, func(w string) bool { return strings.SplitN(w, " ", 2)[1] == key })
		switch {
		case i >= 0 && !strings.HasPrefix(line, strings.SplitN(want[i], " ", 2)[0]+" "):
			t.Errorf("line %q, want %s", line, want[i])
		case i < 0 && f[0] != "OK":
			t.Errorf("line %q, want OK", line)
		}
		seen[key] = true
	}
	for _, w := range want {
		if !seen[strings.SplitN(w, " ", 2)[1]] {
			t.Errorf("no line for %s", w)
		}
	}
	switch {
	case len(want) == 0 && (r.code != 0 || r.stderr != ""):
		t.Errorf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	case len(want) > 0 && (r.code != exitFail || !strings.Contains(r.stderr, fmt.Sprintf("%d of 16 checks failed", len(want)))):
		t.Errorf("exit %d, stderr %q; want 1 and %d of 16 checks failed", r.code, r.stderr, len(want))
	}
}

func TestDNSCheckOutput(t *testing.T) {
	e, rrs := published(t)
	r := runCheck(t, e, rrs, dnsCheckCase{})
	checkLines(t, r, nil)
	for _, want := range []string{
		`OK      SPF    example.org: "v=spf1 mx ~all" passes 192.0.2.10, 2001:db8::10` + "\n",
		"OK      PTR    192.0.2.10: mail.example.org. (forward-confirmed)\n",
		"OK      DKIM   rsa-202601._domainkey.example.org: k=rsa, the public key of the key file\n",
		"OK      SRV    _imap._tcp.example.org: 0 0 0 .\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCheck(t, e, rrs, dnsCheckCase{drop: []string{"MX example.org."}, add: []string{"example.org. MX 10 mx.other.example."}})
	checkLines(t, r, []string{"WRONG MX example.org", "WRONG SPF example.org"})
	if want := "WRONG   MX     example.org: found 10 mx.other.example.; want 10 mail.example.org.\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, r.stdout)
	}
	if want := "petrel: dns check example.org: 2 of 16 checks failed (0 missing, 2 wrong, 0 lookup errors)\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

func TestDNSCheckNothingPublished(t *testing.T) {
	srv := dnstest.Start(t)
	e := newEnv(t, "[listen]\nsmtp = [\"127.0.0.1:2525\"]\n"+dnsServers(srv.Addr))
	r := e.run("", "dns", "check", "example.net")
	if r.code != exitFail || !strings.Contains(r.stderr, "warning: example.net is not a local domain") ||
		!strings.Contains(r.stderr, "dns check example.net: 17 of 17 checks failed (16 missing, 1 wrong, 0 lookup errors)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{
		"MISSING MX     example.net: no record (no such domain); want 10 mail.example.org.\n",
		"MISSING A/AAAA mail.example.org: no address records; want the public addresses of this server\n",
		`MISSING SPF    example.net: no record (no such domain); want "v=spf1 mx ~all"` + "\n",
		"MISSING DKIM   example.net: no DKIM key on this server: run petrel dkim generate example.net, then publish its record\n",
		"MISSING SRV    _imaps._tcp.example.net: no record (no such domain); want 0 1 993 mail.example.org.\n",
		"MISSING PTR    mail.example.org: no public address known, so no reverse DNS to check\n",
		"MISSING MTA-STS _mta-sts.example.net: no record (no such domain); want \"v=STSv1; id=",
		"MISSING A/AAAA mta-sts.example.net: no record (no such domain); want CNAME mail.example.org.\n",
		"WRONG   POLICY https://mta-sts.example.net/.well-known/mta-sts.txt: senders cannot fetch it (sts-policy-fetch-error)",
		`MISSING TLSRPT _smtp._tls.example.net: no record (no such domain); want "v=TLSRPTv1; rua=mailto:tlsrpt@example.net"` + "\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}
