package ops

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// newDNS is the DNS operations for host with the fixture keys, asking srv.
func newDNS(t *testing.T, srv *dnstest.Server, host string, domains Mailboxes) *DNS {
	t.Helper()
	keys := NewDKIM(fixtureKeys(t), domains, nil)
	r := dnsr.NewClient([]string{srv.Addr}, DNSQueryTimeout)
	listen := config.Listen{SMTP: []string{"192.0.2.10:25"}}
	return NewDNS(dnsplan.Server{Hostname: host, Listen: listen}, r, keys, domains)
}

func TestDNSPlan(t *testing.T) {
	ctx := context.Background()
	srv := dnstest.Start(t)
	srv.Add(t, "mail.example.org. A 192.0.2.10")
	s := newDNS(t, srv, "mail.example.org", fakeDomains{local: map[string]bool{"example.org": true}})
	p, err := s.Plan(ctx, "Example.ORG", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.HostnameNotFQDN || !p.Local || p.LocalErr != nil || len(p.SkippedKeys) != 0 {
		t.Errorf("warnings %+v, want none", p)
	}
	if p.Domain != "example.org" || len(p.DKIM) != 2 || p.DKIM[0].Selector() != "ed-202603" || p.DKIM[0].Role != dnsplan.KeySigns {
		t.Errorf("plan of %q with DKIM %+v, want the two fixture keys, signing", p.Domain, p.DKIM)
	}
	if pub := p.Public(); len(pub) != 1 || pub[0].String() != "192.0.2.10" {
		t.Errorf("public addresses %v", pub)
	}
	// Nothing but the host's address is published: every other check
	// fails (14 checks: one PTR for the one public address).
	c, err := s.Check(ctx, "example.org", "")
	if err != nil || c.Domain != "example.org" || len(c.Report.Results) != 14 || c.Report.Failed() != 13 {
		t.Errorf("check: %v, %+v; want 14 results, 13 failed", err, c.Report.Results)
	}
	if r := c.Report.Results[1]; r.Status != dnsplan.StatusOK || r.Kind != "A/AAAA" || r.Detail != "192.0.2.10" {
		t.Errorf("address check %+v, want OK 192.0.2.10", r)
	}
}

func TestDNSPlanWarnings(t *testing.T) {
	ctx := context.Background()
	srv := dnstest.Start(t)
	s := newDNS(t, srv, "mail", fakeDomains{err: errors.New("store locked")})
	ks := s.keys.ks.(*sqlite.Store)
	must(t, ks.KVCreate(ctx, dkim.KeyName("example.org", "broken"), []byte("no key")))
	p, err := s.Plan(ctx, "example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	if !p.HostnameNotFQDN || p.LocalErr == nil || len(p.SkippedKeys) != 1 || !strings.Contains(p.SkippedKeys[0].Error(), "broken.pem") {
		t.Errorf("warnings %+v, want a host name without a dot, an unknown locality and broken.pem", p)
	}
	if p, err := newDNS(t, srv, "mail.example.org", fakeDomains{}).Plan(ctx, "other.example", ""); err != nil || p.Local || p.LocalErr != nil {
		t.Errorf("other.example: local %v, %v, %v; want not local", p.Local, p.LocalErr, err)
	}
	_, err = s.Plan(ctx, "exa mple..org", "")
	wantKind(t, "invalid domain", err, KindInvalid)
}

// Issue 13: the DMARC record asked for reports to postmaster@DOMAIN even
// when no account would get them. The plan asks for reports only at an
// address that takes mail: postmaster@ once it reaches an account (its
// own, or delivery's fallback), or the address named, if it exists.
func TestDNSPlanReports(t *testing.T) {
	ctx := context.Background()
	srv := dnstest.Start(t)
	d, _ := newDirectory(t)
	addDomain(t, d, "example.org")
	s := newDNS(t, srv, "mail.example.org", d)
	plan := func(reports, want, none string) {
		t.Helper()
		p, err := s.Plan(ctx, "example.org", reports)
		if err != nil || p.DMARCReports != want || p.NoReports != none || p.ReportsErr != nil {
			t.Errorf("reports %q: rua %q, left out %q (%v, %v); want %q, left out %q",
				reports, p.DMARCReports, p.NoReports, p.ReportsErr, err, want, none)
		}
	}
	plan("", "", "postmaster@example.org") // no account yet
	_, err := d.AddUser(ctx, "alice@example.org", "pw")
	must(t, err)
	plan("", "postmaster@example.org", "")                       // the fallback: alice
	plan("dmarc@example.org", "", "dmarc@example.org")           // would bounce
	plan("Reports@Remote.example", "Reports@remote.example", "") // the operator's word
	must(t, d.AddAlias(ctx, "dmarc@example.org", []string{"alice@example.org"}))
	plan("DMARC@example.org", "dmarc@example.org", "")
	if _, err := s.Plan(ctx, "example.org", "not an address"); KindOf(err) != KindInvalid {
		t.Errorf("invalid reports address: %v", err)
	}
}

func TestDNSCheckWithinDeadline(t *testing.T) {
	srv := dnstest.Start(t)
	s := newDNS(t, srv, "mail.example.org", fakeDomains{})
	// The lookups' context is over (the store's reads are not: they
	// come first and would end the check with the context's error).
	s.r = canceledLookup{s.r}
	start := time.Now()
	c, err := s.Check(context.Background(), "example.org", "")
	if err != nil || c.Report.Count(dnsplan.StatusError) == 0 {
		t.Errorf("check with a canceled context: %d errors, %v; want lookup errors", c.Report.Count(dnsplan.StatusError), err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("a canceled check took %v", d)
	}
}

// canceledLookup asks its Lookup with a context that is over.
type canceledLookup struct{ dnsplan.Lookup }

func over() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func (c canceledLookup) LookupMX(_ context.Context, d string) ([]*net.MX, error) {
	return c.Lookup.LookupMX(over(), d)
}
func (c canceledLookup) LookupIP(_ context.Context, h string) ([]netip.Addr, error) {
	return c.Lookup.LookupIP(over(), h)
}
func (c canceledLookup) LookupTXT(_ context.Context, n string) ([]string, error) {
	return c.Lookup.LookupTXT(over(), n)
}
func (c canceledLookup) LookupAddr(_ context.Context, ip netip.Addr) ([]string, error) {
	return c.Lookup.LookupAddr(over(), ip)
}
func (c canceledLookup) LookupSRV(_ context.Context, n string) ([]*net.SRV, error) {
	return c.Lookup.LookupSRV(over(), n)
}
