package dnsplan

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// edKey is the p= of the Ed25519 fixture key.
const edKey = "RI+gFU204a0rlNgU7F45EB9HJZwT6Mhez8Hfe0D77Xg="

// checkCase changes the published records before the check runs.
type checkCase struct {
	name     string
	drop     []string // "TYPE owner." of records left out
	add      []string // zone-file lines added
	servfail []string // names that get SERVFAIL
	want     []string // "STATUS KIND NAME" of every result that is not OK
	text     []string // found in the details
}

// published is the zone of example.org with testListen and the fixture
// keys, as records, with the address records mail.example.org already has.
func published(t *testing.T) []dns.RR {
	t.Helper()
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	return dnstest.ParseZone(t, Render(newPlan(t, srv, "example.org", testListen, fixtureDKIM(t)).Lines()))
}

// runCheck serves rrs as changed by tc, makes the plan against it and
// checks it, as petrel dns check does.
func runCheck(t *testing.T, rrs []dns.RR, tc checkCase) Report {
	t.Helper()
	srv := dnstest.Start(t)
	srv.AddExcept(t, rrs, tc.drop...)
	srv.Add(t, tc.add...)
	for _, name := range tc.servfail {
		srv.ServFail(name)
	}
	p := newPlan(t, srv, "example.org", testListen, fixtureDKIM(t))
	return Check(context.Background(), p, resolver(srv))
}

// checkResults asserts that exactly the results of want are not OK, with
// their status, and that the report counts them.
func checkResults(t *testing.T, rep Report, want []string) {
	t.Helper()
	if len(rep.Results) != 15 {
		t.Errorf("%d results, want 15 (one per check): %+v", len(rep.Results), rep.Results)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		key := r.Kind + " " + r.Name
		i := slices.IndexFunc(want, func(w string) bool { return strings.SplitN(w, " ", 2)[1] == key })
		switch {
		case i >= 0 && string(r.Status) != strings.SplitN(want[i], " ", 2)[0]:
			t.Errorf("%+v, want %s", r, want[i])
		case i < 0 && r.Status != StatusOK:
			t.Errorf("%+v, want OK", r)
		}
		seen[key] = true
	}
	for _, w := range want {
		if !seen[strings.SplitN(w, " ", 2)[1]] {
			t.Errorf("no result for %s", w)
		}
	}
	if rep.Failed() != len(want) {
		t.Errorf("Failed() = %d, want %d", rep.Failed(), len(want))
	}
}

// details joins the details of every result, to look for text in.
func details(rep Report) string {
	var b strings.Builder
	for _, r := range rep.Results {
		b.WriteString(r.Detail + "\n")
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	rrs := published(t)
	const dmarcName = "_dmarc.example.org."
	for _, tc := range []checkCase{
		{name: "all published", text: []string{
			`"v=spf1 mx ~all" passes 192.0.2.10, 2001:db8::10`,
			"mail.example.org. (forward-confirmed)",
			"k=rsa, the public key of the key file",
			"0 0 0 .",
		}},
		{name: "unrelated TXT records", add: []string{
			`example.org. TXT "site-verification=abc"`, `_dmarc.example.org. TXT "not dmarc"`,
		}},
		{name: "no MX", drop: []string{"MX example.org."},
			want: []string{"MISSING MX example.org", "WRONG SPF example.org"}},
		{name: "MX elsewhere", drop: []string{"MX example.org."}, add: []string{"example.org. MX 10 mx.other.example."},
			want: []string{"WRONG MX example.org", "WRONG SPF example.org"},
			text: []string{"found 10 mx.other.example.; want 10 mail.example.org."}},
		{name: "null MX", drop: []string{"MX example.org."}, add: []string{"example.org. MX 0 ."},
			want: []string{"WRONG MX example.org", "WRONG SPF example.org"}, text: []string{"null MX"}},
		{name: "backup MX", add: []string{"example.org. MX 5 filter.example.net."},
			text: []string{"mail.example.org is a backup: senders try filter.example.net. first"}},
		{name: "no address records", drop: []string{"A mail.example.org.", "AAAA mail.example.org."},
			want: []string{"MISSING A/AAAA mail.example.org", "WRONG SPF example.org", "WRONG SPF mail.example.org",
				"WRONG PTR 192.0.2.10", "WRONG PTR 2001:db8::10"},
			text: []string{"does not resolve to 192.0.2.10 (not forward-confirmed)"}},
		{name: "no AAAA", drop: []string{"AAAA mail.example.org."},
			want: []string{"WRONG A/AAAA mail.example.org", "WRONG SPF example.org", "WRONG SPF mail.example.org", "WRONG PTR 2001:db8::10"},
			text: []string{"missing: 2001:db8::10 (listen.pop3s)", "softfail for 2001:db8::10", `"v=spf1 a -all" gives fail for 2001:db8::10`}},
		{name: "private address", add: []string{"mail.example.org. A 10.0.0.5"},
			want: []string{"WRONG A/AAAA mail.example.org"}, text: []string{"not public: 10.0.0.5 (private: in DNS)"}},
		{name: "no SPF", drop: []string{"TXT example.org."}, want: []string{"MISSING SPF example.org"}},
		{name: "two SPF records", add: []string{`example.org. TXT "v=spf1 -all"`},
			want: []string{"WRONG SPF example.org"}, text: []string{"2 SPF records"}},
		{name: "SPF without this server", drop: []string{"TXT example.org."}, add: []string{`example.org. TXT "v=spf1 ip4:198.51.100.0/24 -all"`},
			want: []string{"WRONG SPF example.org"}, text: []string{"gives fail for 192.0.2.10 (matched all), fail for 2001:db8::10 (matched all)"}},
		{name: "no SPF for the host name", drop: []string{"TXT mail.example.org."}, want: []string{"MISSING SPF mail.example.org"}},
		{name: "SPF of the host name without it", drop: []string{"TXT mail.example.org."}, add: []string{`mail.example.org. TXT "v=spf1 -all"`},
			want: []string{"WRONG SPF mail.example.org"}},
		{name: "SPF with an include", drop: []string{"TXT example.org."},
			add: []string{`example.org. TXT "v=spf1 include:_spf.example.org -all"`, `_spf.example.org. TXT "v=spf1 a:mail.example.org"`}},
		{name: "SPF by addresses", drop: []string{"TXT example.org."}, add: []string{`example.org. TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"`}},
		{name: "no RSA DKIM key", drop: []string{"TXT rsa-202601._domainkey.example.org."},
			want: []string{"MISSING DKIM rsa-202601._domainkey.example.org"}},
		{name: "no Ed25519 DKIM key", drop: []string{"TXT ed-202603._domainkey.example.org."},
			want: []string{"MISSING DKIM ed-202603._domainkey.example.org"}},
		{name: "DKIM key differs", drop: []string{"TXT rsa-202601._domainkey.example.org."},
			add:  []string{`rsa-202601._domainkey.example.org. TXT "v=DKIM1; k=rsa; p=` + edKey + `"`},
			want: []string{"WRONG DKIM rsa-202601._domainkey.example.org"}, text: []string{"differs from the key file"}},
		{name: "DKIM key of another type", drop: []string{"TXT ed-202603._domainkey.example.org."},
			add:  []string{`ed-202603._domainkey.example.org. TXT "v=DKIM1; p=` + edKey + `"`},
			want: []string{"WRONG DKIM ed-202603._domainkey.example.org"}, text: []string{"the record has a k=rsa key"}},
		{name: "DKIM key revoked", drop: []string{"TXT ed-202603._domainkey.example.org."},
			add:  []string{`ed-202603._domainkey.example.org. TXT "v=DKIM1; k=ed25519; p="`},
			want: []string{"WRONG DKIM ed-202603._domainkey.example.org"}, text: []string{"revoked"}},
		{name: "DKIM key split differently", drop: []string{"TXT ed-202603._domainkey.example.org."},
			add: []string{`ed-202603._domainkey.example.org. TXT "k=ed25519;p=RI+gFU204a0rlNgU7F45" " EB9HJZwT6Mhez8Hfe0D77Xg="`}},
		{name: "no DMARC", drop: []string{"TXT " + dmarcName}, want: []string{"MISSING DMARC _dmarc.example.org"}},
		{name: "two DMARC records", add: []string{`_dmarc.example.org. TXT "v=DMARC1; p=reject"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{"2 DMARC records"}},
		{name: "DMARC bad policy", drop: []string{"TXT " + dmarcName}, add: []string{`_dmarc.example.org. TXT "v=DMARC1; p=maybe"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{"no valid p= policy, so receivers apply none"}},
		{name: "DMARC bad policy with reports", drop: []string{"TXT " + dmarcName},
			add:  []string{`_dmarc.example.org. TXT "v=DMARC1; p=rejected; rua=mailto:d@example.org"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{`p=rejected is not valid, so receivers read "v=DMARC1; p=none;`}},
		{name: "DMARC without policy", drop: []string{"TXT " + dmarcName}, add: []string{`_dmarc.example.org. TXT "v=DMARC1; rua=mailto:postmaster@example.org"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{"no p= tag"}},
		{name: "DMARC bad report address", drop: []string{"TXT " + dmarcName}, add: []string{`_dmarc.example.org. TXT "v=DMARC1; p=reject; rua=postmaster@example.org"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{"rua=postmaster@example.org holds a report address receivers cannot use"}},
		{name: "DMARC bad pct", drop: []string{"TXT " + dmarcName}, add: []string{`_dmarc.example.org. TXT "v=DMARC1; p=reject; pct=150"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{"pct=150 is not valid"}},
		{name: "DMARC version not first", drop: []string{"TXT " + dmarcName}, add: []string{`_dmarc.example.org. TXT "p=reject; v=DMARC1"`},
			want: []string{"MISSING DMARC _dmarc.example.org"}},
		{name: "DMARC bad subdomain policy", drop: []string{"TXT " + dmarcName},
			add:  []string{`_dmarc.example.org. TXT "v=DMARC1; p=reject; sp=drop; rua=mailto:d@example.org"`},
			want: []string{"WRONG DMARC _dmarc.example.org"}, text: []string{"sp=drop is not valid"}},
		{name: "DMARC strict", drop: []string{"TXT " + dmarcName},
			add: []string{`_dmarc.example.org. TXT "v=DMARC1;p=Quarantine;adkim=s;pct=050;rua=mailto:d@example.net!10m, mailto:e@example.org"`}},
		{name: "SRV elsewhere", drop: []string{"SRV _imaps._tcp.example.org."}, add: []string{"_imaps._tcp.example.org. SRV 0 1 993 imap.other.example."},
			want: []string{"WRONG SRV _imaps._tcp.example.org"}},
		{name: "SRV says off for a service that is on", drop: []string{"SRV _submissions._tcp.example.org."},
			add: []string{"_submissions._tcp.example.org. SRV 0 0 0 ."}, want: []string{"WRONG SRV _submissions._tcp.example.org"}},
		{name: "SRV for a service that is off", drop: []string{"SRV _imap._tcp.example.org."},
			add: []string{"_imap._tcp.example.org. SRV 10 1 143 mail.example.org."}, want: []string{"WRONG SRV _imap._tcp.example.org"},
			text: []string{"want 0 0 0 . (listen.imap is empty)"}},
		{name: "SRV with the configured port", drop: []string{"SRV _pop3s._tcp.example.org."},
			add: []string{"_pop3s._tcp.example.org. SRV 0 1 2995 mail.example.org."}},
		{name: "SRV with another port", drop: []string{"SRV _submission._tcp.example.org."},
			add: []string{"_submission._tcp.example.org. SRV 0 1 25 mail.example.org."}, want: []string{"WRONG SRV _submission._tcp.example.org"}},
		{name: "no IPv4 PTR", drop: []string{"PTR 10.2.0.192.in-addr.arpa."}, want: []string{"MISSING PTR 192.0.2.10"}},
		{name: "no IPv6 PTR", drop: []string{"PTR 0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."},
			want: []string{"MISSING PTR 2001:db8::10"}},
		{name: "PTR of the provider", drop: []string{"PTR 10.2.0.192.in-addr.arpa."},
			add:  []string{"10.2.0.192.in-addr.arpa. PTR host-10.provider.example."},
			want: []string{"WRONG PTR 192.0.2.10"}, text: []string{"found host-10.provider.example.; want mail.example.org."}},
		{name: "DNS failing", servfail: []string{"example.org"},
			want: []string{"ERROR MX example.org", "ERROR SPF example.org"}, text: []string{"lookup failed (temporary failure)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := runCheck(t, rrs, tc)
			checkResults(t, rep, tc.want)
			for _, s := range tc.text {
				if !strings.Contains(details(rep), s) {
					t.Errorf("details lack %q:\n%s", s, details(rep))
				}
			}
		})
	}
	for _, srv := range []string{"_submissions", "_submission", "_imaps", "_imap", "_pop3s", "_pop3"} {
		name := srv + "._tcp.example.org"
		t.Run("no SRV "+srv, func(t *testing.T) {
			checkResults(t, runCheck(t, rrs, checkCase{drop: []string{"SRV " + name + "."}}), []string{"MISSING SRV " + name})
		})
	}
}

func TestCheckNothingPublished(t *testing.T) {
	srv := dnstest.Start(t)
	listen := testListen
	listen.SMTP = []string{"127.0.0.1:2525"}
	listen.Submission, listen.Submissions, listen.IMAPS, listen.POP3S = nil, nil, []string{":993"}, nil
	p := newPlan(t, srv, "example.net", listen, nil)
	rep := Check(context.Background(), p, resolver(srv))
	if n, m := len(rep.Results), rep.Count(StatusMissing); n != 13 || m != 13 {
		t.Errorf("%d results, %d missing; want 13 of 13: %+v", n, m, rep.Results)
	}
	for _, want := range []Result{
		{StatusMissing, "MX", "example.net", "no record (no such domain); want 10 mail.example.org."},
		{StatusMissing, "A/AAAA", "mail.example.org", "no address records; want the public addresses of this server"},
		{StatusMissing, "SPF", "example.net", `no record (no such domain); want "v=spf1 mx ~all"`},
		{StatusMissing, "DKIM", "example.net", "no DKIM key on this server: run petrel dkim generate example.net, then publish its record"},
		{StatusMissing, "SRV", "_imaps._tcp.example.net", "no record (no such domain); want 0 1 993 mail.example.org."},
		{StatusMissing, "PTR", "mail.example.org", "no public address known, so no reverse DNS to check"},
	} {
		if !slices.Contains(rep.Results, want) {
			t.Errorf("no result %+v among %+v", want, rep.Results)
		}
	}
}
