package dnsplan

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// webPlan is the plan of example.org for mail.example.org with testListen
// and listen.https on https, asking srv.
func webPlan(t *testing.T, srv *dnstest.Server, https ...string) *Plan {
	t.Helper()
	listen := testListen
	listen.HTTPS = https
	return New(context.Background(), Server{Hostname: "mail.example.org", Listen: listen}, "example.org", resolver(srv), nil)
}

// With listen.https on, the plan has the aliases Thunderbird and Outlook
// ask and Outlook's SRV record, which a name server reads back as typed;
// with it off, none of them.
func TestAutoconfigRecords(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	want := []string{
		"autoconfig.example.org. IN CNAME mail.example.org.\n",
		"autodiscover.example.org. IN CNAME mail.example.org.\n",
		"_autodiscover._tcp.example.org. IN SRV 0 1 443 mail.example.org.\n",
	}
	lines := webPlan(t, srv, "[::]:443", "0.0.0.0:443").Lines()
	text := Render(lines)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("zone lacks %q:\n%s", w, text)
		}
	}
	recs := Records(lines)
	rrs := dnstest.ParseZone(t, text)
	if len(rrs) != len(recs) {
		t.Fatalf("%d typed records, %d parsed", len(recs), len(rrs))
	}
	var got []string
	for i, rr := range rrs {
		switch rr := rr.(type) {
		case *dns.CNAME:
			got = append(got, rr.Hdr.Name+" CNAME "+rr.Target)
		case *dns.SRV:
			if rr.Hdr.Name == "_autodiscover._tcp.example.org." {
				got = append(got, rr.Hdr.Name+" SRV "+rr.Target)
				if rr.Port != 443 || recs[i].Value != "0 1 443 mail.example.org." {
					t.Errorf("SRV port %d, typed %q", rr.Port, recs[i].Value)
				}
			}
		}
	}
	wantParsed := []string{
		"autoconfig.example.org. CNAME mail.example.org.",
		"autodiscover.example.org. CNAME mail.example.org.",
		"_autodiscover._tcp.example.org. SRV mail.example.org.",
	}
	if !slices.Equal(got, wantParsed) {
		t.Errorf("parsed %q, want %q", got, wantParsed)
	}

	// listen.https on another port: the record says so.
	text = Render(webPlan(t, srv, ":8443").Lines())
	if !strings.Contains(text, "_autodiscover._tcp.example.org. IN SRV 0 1 443 mail.example.org. ; listen.https uses port 8443: forward 443 to it") {
		t.Errorf("no note of port 8443:\n%s", text)
	}

	// Off: nothing of it.
	text = Render(webPlan(t, srv).Lines())
	for _, name := range []string{"autoconfig", "autodiscover"} {
		if strings.Contains(text, name) {
			t.Errorf("listen.https off, yet the zone names %s:\n%s", name, text)
		}
	}
}

// The check finds the aliases by the addresses they lead to and the SRV
// record by its target and port.
func TestAutoconfigCheck(t *testing.T) {
	// The test name server follows no CNAME: the aliases are published
	// as the address records a resolver returns through them.
	base := []string{
		"autoconfig.example.org. A 192.0.2.10", "autoconfig.example.org. AAAA 2001:db8::10",
		"autodiscover.example.org. A 192.0.2.10",
		"_autodiscover._tcp.example.org. SRV 0 1 443 mail.example.org.",
	}
	for _, tc := range []struct {
		name   string
		drop   []string // names whose records are left out
		add    []string
		want   []string // "STATUS KIND NAME" of the results that are not OK
		detail string
	}{
		{name: "published"},
		{name: "no autoconfig", drop: []string{"autoconfig.example.org."}, want: []string{"MISSING CNAME autoconfig.example.org"}},
		{name: "autodiscover elsewhere", drop: []string{"autodiscover.example.org."}, add: []string{"autodiscover.example.org. A 198.51.100.7"},
			want: []string{"WRONG CNAME autodiscover.example.org"}, detail: "resolves to 198.51.100.7, not all of them mail.example.org's; want CNAME mail.example.org."},
		{name: "no SRV", drop: []string{"_autodiscover._tcp.example.org."}, want: []string{"MISSING SRV _autodiscover._tcp.example.org"}},
		{name: "SRV elsewhere", drop: []string{"_autodiscover._tcp.example.org."}, add: []string{"_autodiscover._tcp.example.org. SRV 0 1 443 web.example.net."},
			want: []string{"WRONG SRV _autodiscover._tcp.example.org"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := dnstest.Start(t)
			srv.Add(t, hostRecords...)
			for _, l := range base {
				if !slices.ContainsFunc(tc.drop, func(d string) bool { return strings.HasPrefix(l, d) }) {
					srv.Add(t, l)
				}
			}
			srv.Add(t, tc.add...)
			rep := Check(context.Background(), webPlan(t, srv, ":443"), resolver(srv))
			var got []string
			seen := 0
			for _, r := range rep.Results {
				if strings.Contains(r.Name, "autoconfig.") || strings.Contains(r.Name, "autodiscover.") {
					seen++
					if r.Status != StatusOK {
						got = append(got, string(r.Status)+" "+r.Kind+" "+r.Name)
					}
					if tc.detail != "" && r.Status != StatusOK && r.Detail != tc.detail {
						t.Errorf("detail %q, want %q", r.Detail, tc.detail)
					}
				}
			}
			if seen != 3 || !slices.Equal(got, tc.want) {
				t.Errorf("%d autoconfiguration results, not OK: %q; want 3 and %q\n%+v", seen, got, tc.want, rep.Results)
			}
		})
	}
	// Off: no check of them.
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	for _, r := range Check(context.Background(), webPlan(t, srv), resolver(srv)).Results {
		if strings.Contains(r.Name, "autoconfig.") || strings.Contains(r.Name, "autodiscover.") {
			t.Errorf("listen.https off, yet checked: %+v", r)
		}
	}
}

// A mail host named like an alias gets no CNAME to itself.
func TestAutoconfigHostIsAlias(t *testing.T) {
	p := &Plan{Domain: "example.org", Host: "autodiscover.example.org", WebPorts: []uint16{443}}
	text := Render(p.Lines())
	if strings.Contains(text, "autodiscover.example.org. IN CNAME") || !strings.Contains(text, "autoconfig.example.org. IN CNAME autodiscover.example.org.") {
		t.Errorf("zone:\n%s", text)
	}
}
