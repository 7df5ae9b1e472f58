package dnsplan

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/mtasts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// stsConfig is the policy the TLS tests serve.
var stsConfig = mtasts.ServeConfig{Mode: mtasts.ModeTesting, MX: []string{"mail.example.org"}, MaxAge: 7 * 24 * time.Hour}

// tlsServer is the configuration of the TLS tests: a policy, reports to
// tlsrpt@DOMAIN and the certificate cert.
func tlsServer(cert *x509.Certificate, source CertSource) Server {
	return Server{Hostname: "mail.example.org", Listen: testListen, STS: stsConfig,
		TLSRPT: func(d string) string { return "mailto:tlsrpt@" + d }, Cert: cert, CertSource: source}
}

// policyHost serves cfg's policy for example.org over HTTPS on loopback,
// with a certificate for mta-sts.example.org; it returns the certificate
// of the MX (another one) and a fetcher that trusts the policy host's and
// dials it whatever the name.
func policyHost(t *testing.T, cfg mtasts.ServeConfig) (*x509.Certificate, *mtasts.Fetcher) {
	t.Helper()
	serverTLS, clientTLS := testkit.TLS(t, "mta-sts.example.org", "")
	srv := httptest.NewUnstartedServer(mtasts.NewHandler(cfg, localDomain("example.org"), nil))
	srv.TLS = serverTLS
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var d net.Dialer
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		}}}
	mxTLS, _ := testkit.TLS(t, "mail.example.org", "")
	pair, err := mxTLS.GetCertificate(&tls.ClientHelloInfo{ServerName: "mail.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf, &mtasts.Fetcher{Client: client, Timeout: 5 * time.Second}
}

type localDomain string

func (l localDomain) IsLocalDomain(_ context.Context, d string) (bool, error) {
	return d == string(l), nil
}

// tlsLookup is the resolver with TLSA lookups and the policy fetcher, as
// petrel dns check has them.
type tlsLookup struct {
	Lookup
	ClientTLSA
	*mtasts.Fetcher
}

func TestTLSRecords(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	cert, _ := policyHost(t, stsConfig)
	p := New(context.Background(), tlsServer(cert, CertACME), "example.org", resolver(srv), nil)
	lines := p.Lines()
	text := Render(lines)
	sts, _ := stsConfig.PolicyFor("example.org")
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	want := []Record{
		{Name: "_mta-sts.example.org", Type: "TXT", Value: "v=STSv1; id=" + sts.TextID()},
		{Name: "mta-sts.example.org", Type: "CNAME", Value: "mail.example.org."},
		{Name: "_smtp._tls.example.org", Type: "TXT", Value: "v=TLSRPTv1; rua=mailto:tlsrpt@example.org"},
		{Name: "_25._tcp.mail.example.org", Type: "TLSA", Value: "3 1 1 " + hex.EncodeToString(spki[:])},
	}
	recs := Records(lines)
	for _, w := range want {
		if !slices.Contains(recs, w) {
			t.Errorf("no record %+v in\n%s", w, text)
		}
	}
	// A name server reads them so.
	var tlsa *dns.TLSA
	for _, rr := range dnstest.ParseZone(t, text) {
		if r, ok := rr.(*dns.TLSA); ok {
			tlsa = r
		}
	}
	if tlsa == nil || tlsa.Usage != 3 || tlsa.Selector != 1 || tlsa.MatchingType != 1 || tlsa.Certificate != hex.EncodeToString(spki[:]) {
		t.Errorf("parsed TLSA %v", tlsa)
	}
	for _, s := range []string{"ACME renewals keep the key", "mode testing, mx mail.example.org, max_age 604800", "https://mta-sts.example.org/.well-known/mta-sts.txt"} {
		if !strings.Contains(text, s) {
			t.Errorf("the zone text lacks %q:\n%s", s, text)
		}
	}
	// The notes of the other certificate sources, and none: no TLSA.
	for source, note := range map[CertSource]string{CertFiles: "From tls.cert", CertSelfSigned: "self-signed certificate of this node"} {
		if text := Render(New(context.Background(), tlsServer(cert, source), "example.org", resolver(srv), nil).Lines()); !strings.Contains(text, note) {
			t.Errorf("source %d: no %q in\n%s", source, note, text)
		}
	}
	none := New(context.Background(), tlsServer(nil, CertFiles), "example.org", resolver(srv), nil)
	if slices.ContainsFunc(Records(none.Lines()), func(r Record) bool { return r.Type == "TLSA" }) {
		t.Error("a TLSA record without a certificate")
	}
	// MTA-STS off, TLS reporting off: neither record.
	off := tlsServer(cert, CertACME)
	off.STS, off.TLSRPT = mtasts.ServeConfig{}, nil
	for _, r := range Records(New(context.Background(), off, "example.org", resolver(srv), nil).Lines()) {
		if strings.Contains(r.Name, "mta-sts") || strings.HasPrefix(r.Name, "_smtp._tls") {
			t.Errorf("record %+v with MTA-STS and TLS reporting off", r)
		}
	}
}

func TestCheckTLSRecords(t *testing.T) {
	cert, fetcher := policyHost(t, stsConfig)
	build := func(srv *dnstest.Server) *Plan {
		return New(context.Background(), tlsServer(cert, CertACME), "example.org", resolver(srv), nil)
	}
	// What petrel dns proposes, with the policy host's addresses (which
	// its CNAME gives through a resolver; dnstest does not follow it).
	base := dnstest.Start(t)
	base.Add(t, hostRecords...)
	rrs := dnstest.ParseZone(t, Render(build(base).Lines()))
	hostAddrs := []string{"mta-sts.example.org. A 192.0.2.10", "mta-sts.example.org. AAAA 2001:db8::10"}
	const stsName, tlsaName = "_mta-sts.example.org.", "_25._tcp.mail.example.org."
	_, otherFetcher := policyHost(t, mtasts.ServeConfig{Mode: mtasts.ModeEnforce, MX: []string{"mail.example.org"}, MaxAge: time.Hour})
	_, offFetcher := policyHost(t, mtasts.ServeConfig{}) // 404
	for _, tc := range []struct {
		name    string
		drop    []string
		add     []string
		fetcher *mtasts.Fetcher
		// policyHost are the address records of mta-sts.example.org;
		// nil = hostAddrs.
		policyHost []string
		want       []string // "STATUS KIND NAME" of every check that is not OK
		text       string
	}{
		{name: "all published"},
		{name: "no MTA-STS record", drop: []string{"TXT " + stsName}, want: []string{"MISSING MTA-STS _mta-sts.example.org"}},
		{name: "old policy id", drop: []string{"TXT " + stsName}, add: []string{`_mta-sts.example.org. TXT "v=STSv1; id=old"`},
			want: []string{"WRONG MTA-STS _mta-sts.example.org"}, text: "id old, but the policy served now has id " + stsID()},
		{name: "two MTA-STS records", add: []string{`_mta-sts.example.org. TXT "v=STSv1; id=old"`},
			want: []string{"WRONG MTA-STS _mta-sts.example.org"}, text: "2 MTA-STS records"},
		{name: "invalid MTA-STS record", drop: []string{"TXT " + stsName}, add: []string{`_mta-sts.example.org. TXT "v=STSv1; id=a-b"`},
			want: []string{"WRONG MTA-STS _mta-sts.example.org"}, text: "senders see no policy"},
		{name: "policy host missing", drop: []string{"CNAME mta-sts.example.org."}, policyHost: []string{},
			want: []string{"MISSING A/AAAA mta-sts.example.org"}},
		{name: "policy host elsewhere", policyHost: []string{"mta-sts.example.org. A 198.51.100.7"},
			want: []string{"WRONG A/AAAA mta-sts.example.org"}, text: "198.51.100.7 not an address of mail.example.org"},
		{name: "policy served differs", fetcher: otherFetcher,
			want: []string{"WRONG POLICY https://mta-sts.example.org/.well-known/mta-sts.txt"}, text: "serves mode enforce"},
		{name: "policy not served", fetcher: offFetcher,
			want: []string{"WRONG POLICY https://mta-sts.example.org/.well-known/mta-sts.txt"}, text: "senders cannot fetch it (sts-policy-fetch-error): HTTP status 404"},
		{name: "no TLS-RPT record", drop: []string{"TXT _smtp._tls.example.org."}, want: []string{"MISSING TLSRPT _smtp._tls.example.org"}},
		{name: "TLS-RPT elsewhere", drop: []string{"TXT _smtp._tls.example.org."}, add: []string{`_smtp._tls.example.org. TXT "v=TLSRPTv1; rua=mailto:other@example.net"`},
			want: []string{"WRONG TLSRPT _smtp._tls.example.org"}},
		{name: "TLS-RPT spaced", drop: []string{"TXT _smtp._tls.example.org."}, add: []string{`_smtp._tls.example.org. TXT "v=TLSRPTv1;rua=mailto:tlsrpt@example.org"`}},
		{name: "no TLSA", drop: []string{"TLSA " + tlsaName}, want: []string{"MISSING TLSA _25._tcp.mail.example.org"}},
		{name: "TLSA of another key", drop: []string{"TLSA " + tlsaName}, add: []string{tlsaName + " TLSA 3 1 1 " + strings.Repeat("ab", 32)},
			want: []string{"WRONG TLSA _25._tcp.mail.example.org"}, text: "senders using DANE would defer all mail"},
		{name: "TLSA of the key and another", add: []string{tlsaName + " TLSA 3 1 1 " + strings.Repeat("ab", 32)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := dnstest.Start(t)
			srv.AddExcept(t, rrs, tc.drop...)
			srv.Add(t, tc.add...)
			if tc.policyHost == nil {
				tc.policyHost = hostAddrs
			}
			srv.Add(t, tc.policyHost...)
			f := fetcher
			if tc.fetcher != nil {
				f = tc.fetcher
			}
			r := tlsLookup{Lookup: resolver(srv), ClientTLSA: ClientTLSA{Client: dnsr.NewClient([]string{srv.Addr}, 0)}, Fetcher: f}
			rep := Check(context.Background(), build(srv), r)
			// The 14 checks of TestCheck without DKIM keys, the 5 of
			// transport security.
			if len(rep.Results) != 19 {
				t.Errorf("%d results, want 19: %+v", len(rep.Results), rep.Results)
			}
			var bad []string
			for _, res := range rep.Results {
				if res.Status != StatusOK && res.Kind != "DKIM" { // no DKIM keys here
					bad = append(bad, string(res.Status)+" "+res.Kind+" "+res.Name)
				}
			}
			if !slices.Equal(bad, tc.want) {
				t.Errorf("not OK: %q, want %q\n%s", bad, tc.want, details(rep))
			}
			if !strings.Contains(details(rep), tc.text) {
				t.Errorf("details lack %q:\n%s", tc.text, details(rep))
			}
		})
	}
}

func stsID() string {
	p, _ := stsConfig.PolicyFor("example.org")
	return p.ID
}

// Without TLSA lookups and a fetcher (a plain resolver), those checks are
// left out.
func TestCheckTLSWithoutExtras(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, hostRecords...)
	cert, _ := policyHost(t, stsConfig)
	rep := Check(context.Background(), New(context.Background(), tlsServer(cert, CertACME), "example.org", resolver(srv), nil), resolver(srv))
	if len(rep.Results) != 17 || slices.ContainsFunc(rep.Results, func(r Result) bool { return r.Kind == "TLSA" || r.Kind == "POLICY" }) {
		t.Errorf("%d results, want 17 without TLSA and POLICY: %+v", len(rep.Results), rep.Results)
	}
}
