package dnsr_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

const tlsaLine = "_25._tcp.mx.example.org. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func secureSetup(t *testing.T, dnssec bool) (*dnstest.Server, *dnsr.Client, context.Context) {
	t.Helper()
	s := dnstest.Start(t)
	s.Add(t, "example.org. MX 10 mx.example.org.", "mx.example.org. A 192.0.2.1", tlsaLine, "nodata.example.org. A 192.0.2.2")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return s, dnsr.NewFromConfig(dnsr.Config{Servers: []string{s.Addr}, Timeout: time.Second, DNSSEC: dnssec}), ctx
}

// The AD bit of a validating resolver makes the answers secure, records
// and denials alike; a name without it is not.
func TestSecureLookups(t *testing.T) {
	s, c, ctx := secureSetup(t, true)
	s.SetAD(true)
	s.Insecure("insecure.example.org")
	s.Add(t, "insecure.example.org. A 192.0.2.3")
	if _, secure, err := c.LookupMXSecure(ctx, "example.org"); err != nil || !secure {
		t.Errorf("MX: secure = %v, err = %v", secure, err)
	}
	if addrs, secure, err := c.LookupIPSecure(ctx, "mx.example.org"); err != nil || !secure || len(addrs) != 1 {
		t.Errorf("IP: %v secure = %v, err = %v", addrs, secure, err)
	}
	recs, secure, err := c.LookupTLSA(ctx, 25, "mx.example.org")
	if err != nil || !secure || len(recs) != 1 || recs[0].String() != tlsaLine[len("_25._tcp.mx.example.org. TLSA "):] {
		t.Errorf("TLSA: %v secure = %v, err = %v", recs, secure, err)
	}
	// A secure denial: NODATA with AD.
	if _, secure, err := c.LookupTLSA(ctx, 25, "nodata.example.org"); !dnsr.IsNotFound(err) || !secure {
		t.Errorf("TLSA NODATA: secure = %v, err = %v", secure, err)
	}
	if _, secure, err := c.LookupIPSecure(ctx, "insecure.example.org"); err != nil || secure {
		t.Errorf("insecure name: secure = %v, err = %v", secure, err)
	}
	// A failed AAAA lookup (a bogus answer) does not make signed A
	// records insecure: DANE is not turned off by it.
	s.ServFailType("mx.example.org", dns.TypeAAAA)
	if addrs, secure, err := c.LookupIPSecure(ctx, "mx.example.org"); err != nil || !secure || len(addrs) != 1 {
		t.Errorf("IP with AAAA SERVFAIL: %v secure = %v, err = %v", addrs, secure, err)
	}
	s.ServFail("_25._tcp.mx.example.org")
	if _, secure, err := c.LookupTLSA(ctx, 25, "mx.example.org"); !dnsr.IsTemporary(err) || secure {
		t.Errorf("SERVFAIL: secure = %v, err = %v", secure, err)
	}
}

// Without dns.dnssec the AD bit is never believed; without the AD bit
// nothing is secure.
func TestSecureNeedsTrust(t *testing.T) {
	s, c, ctx := secureSetup(t, false)
	s.SetAD(true)
	if _, secure, err := c.LookupTLSA(ctx, 25, "mx.example.org"); err != nil || secure {
		t.Errorf("untrusted AD: secure = %v, err = %v", secure, err)
	}
	_, c2, ctx2 := secureSetup(t, true)
	if _, secure, err := c2.LookupMXSecure(ctx2, "example.org"); err != nil || secure {
		t.Errorf("no AD: secure = %v, err = %v", secure, err)
	}
}

// The cache keeps whether an answer was secure.
func TestSecureCached(t *testing.T) {
	s := dnstest.Start(t)
	s.Add(t, tlsaLine)
	s.SetAD(true)
	c := dnsr.NewFromConfig(dnsr.Config{Servers: []string{s.Addr}, Timeout: time.Second, DNSSEC: true, Cache: true})
	for i := range 2 {
		if _, secure, err := c.LookupTLSA(context.Background(), 25, "mx.example.org"); err != nil || !secure {
			t.Errorf("lookup %d: secure = %v, err = %v", i, secure, err)
		}
	}
	if n := s.QueriesFor("_25._tcp.mx.example.org"); n != 1 {
		t.Errorf("%d queries, want 1", n)
	}
}

// A validating resolver's SERVFAIL (its verdict on a bogus answer, RFC
// 4035 §5.5) is final with dns.dnssec: the lookup fails temporarily
// instead of taking another server's unvalidated answer, which would
// turn DANE off for the host (RFC 7672 §2.2). Without dnssec the next
// server is asked as before.
func TestSecureBogusNoFailover(t *testing.T) {
	validating := dnstest.Start(t)
	validating.SetAD(true)
	validating.Add(t, tlsaLine)
	validating.ServFail("_25._tcp.mx.example.org")
	other := dnstest.Start(t)
	other.Add(t, "mx.example.org. A 192.0.2.1") // no TLSA there: NODATA, unvalidated
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	servers := []string{validating.Addr, other.Addr}
	c := dnsr.NewFromConfig(dnsr.Config{Servers: servers, Timeout: time.Second, DNSSEC: true})
	if recs, secure, err := c.LookupTLSA(ctx, 25, "mx.example.org"); !dnsr.IsTemporary(err) || secure || len(recs) != 0 {
		t.Errorf("bogus TLSA with dnssec: %v secure = %v, err = %v; want a temporary failure", recs, secure, err)
	}
	if n := other.QueriesFor("_25._tcp.mx.example.org"); n != 0 {
		t.Errorf("the other server was asked %d times after the validator's SERVFAIL", n)
	}
	plain := dnsr.NewFromConfig(dnsr.Config{Servers: servers, Timeout: time.Second})
	if _, _, err := plain.LookupTLSA(ctx, 25, "mx.example.org"); !dnsr.IsNotFound(err) {
		t.Errorf("without dnssec: %v, want the other server's NODATA", err)
	}
}
