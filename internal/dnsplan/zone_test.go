package dnsplan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

func TestTXTStrings(t *testing.T) {
	long := strings.Repeat("a", 300)
	got := txtStrings(`say "hi" \ ` + long)
	if len(got) != 2 || got[0] != `"say \"hi\" \\ `+strings.Repeat("a", 244)+`"` || got[1] != `"`+strings.Repeat("a", 56)+`"` {
		t.Errorf("txtStrings = %q", got)
	}
	if got := txtStrings(""); len(got) != 1 || got[0] != `""` {
		t.Errorf("empty = %q", got)
	}
	if got := txtStrings("tab\there"); got[0] != `"tab\009here"` {
		t.Errorf("control = %q", got)
	}
}

// The typed records of a plan are what a name server reads from its
// rendered zone text, long TXT values included.
func TestRecordsMatchZoneText(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	p := newPlan(t, srv, "example.org", testListen, fixtureDKIM(t))
	lines := p.Lines()
	text := Render(lines)
	rrs := dnstest.ParseZone(t, text)
	recs := Records(lines)
	if len(rrs) != len(recs) || len(recs) != 16 {
		t.Fatalf("%d typed records, %d parsed, want 16 each:\n%s", len(recs), len(rrs), text)
	}
	for i, rr := range rrs {
		h, r := rr.Header(), recs[i]
		if h.Name != r.Name+"." || dns.TypeToString[h.Rrtype] != r.Type {
			t.Errorf("record %d: parsed %s %s, typed %s %s", i, h.Name, dns.TypeToString[h.Rrtype], r.Name, r.Type)
		}
		switch rr := rr.(type) {
		case *dns.TXT:
			for _, s := range rr.Txt {
				if len(s) > 255 {
					t.Errorf("%s: a character-string of %d octets", h.Name, len(s))
				}
			}
			if got := strings.Join(rr.Txt, ""); got != r.Value {
				t.Errorf("%s: parsed TXT %q, typed %q", h.Name, got, r.Value)
			}
		case *dns.MX:
			if got := fmt.Sprintf("%d %s", rr.Preference, rr.Mx); got != r.Value {
				t.Errorf("MX parsed %q, typed %q", got, r.Value)
			}
		}
	}
}

func TestKeyRoles(t *testing.T) {
	from := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	p := &Plan{Domain: "example.org", Host: "mail.example.org", DKIM: []DKIMRecord{
		{Name: "ed-new._domainkey.example.org", TXT: "v=DKIM1; k=ed25519; p=", Role: KeyNext, From: from, Replaces: "ed-old"},
		{Name: "ed-old._domainkey.example.org", TXT: "v=DKIM1; k=ed25519; p=", Role: KeySigns},
		{Name: "ed-older._domainkey.example.org", TXT: "v=DKIM1; k=ed25519; p=", Role: KeyReplaced},
	}}
	text := Render(p.Lines())
	for _, want := range []string{
		"; ed-new: signs from 2026-03-02 10:30 UTC in place of ed-old: publish it before then.\ned-new._domainkey.example.org. IN TXT",
		"; ed-old: signs now.\ned-old._domainkey.example.org. IN TXT",
		"; ed-older: replaced by a newer key: keep the record a few days",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("zone lacks %q:\n%s", want, text)
		}
	}
}

func TestOffPort25(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{":25"}, nil},
		{[]string{"127.0.0.1:2525", "[::1]:25"}, nil},
		{[]string{"127.0.0.1:2525", ":2526"}, []string{"127.0.0.1:2525", ":2526"}},
	} {
		if got := offPort25(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("offPort25(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Issue 13: the DMARC record asked for reports to postmaster@DOMAIN
// whether or not that address took mail. The plan asks for them at
// DMARCReports only, with the RFC 7489 §7.1 authorization an address in
// another domain needs, and for none when there is no such address.
func TestDMARCReports(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	p := newPlan(t, srv, "example.org", testListen, nil)
	for _, tc := range []struct {
		reports, record, comment string
	}{
		{"", "v=DMARC1; p=none", "takes the aggregate reports yet (postmaster@example.org reaches no account)"},
		{"postmaster@example.org", "v=DMARC1; p=none; rua=mailto:postmaster@example.org", "reports to postmaster@example.org."},
		{"dmarc@example.net", "v=DMARC1; p=none; rua=mailto:dmarc@example.net",
			`publish example.org._report._dmarc.example.net. IN TXT "v=DMARC1"`},
	} {
		p.DMARCReports = tc.reports
		lines := p.Lines()
		text := Render(lines)
		var got []string
		for _, r := range Records(lines) {
			if r.Name == "_dmarc.example.org" {
				got = append(got, r.Value)
			}
		}
		if len(got) != 1 || got[0] != tc.record || !strings.Contains(text, tc.comment) {
			t.Errorf("reports %q: DMARC records %q, want %q with %q in:\n%s", tc.reports, got, tc.record, tc.comment, text)
		}
	}
}
