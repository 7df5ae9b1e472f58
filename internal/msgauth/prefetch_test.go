package msgauth

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// gatedResolver holds the SPF lookup of the sender's domain until the
// DMARC policy lookup has started (or a safety timeout has passed, which
// fails the SPF check): with Prefetch, DMARC's lookup must not wait for
// SPF. Everything else is "no such domain", except the DMARC record.
type gatedResolver struct {
	dmarcAsked chan struct{}
	once       sync.Once
}

func (g *gatedResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	switch name {
	case "_dmarc.gate.example":
		g.once.Do(func() { close(g.dmarcAsked) })
		return []string{"v=DMARC1; p=reject"}, nil
	case "gate.example":
		select {
		case <-g.dmarcAsked:
			return []string{"v=spf1 ip4:192.0.2.10 -all"}, nil
		case <-time.After(time.Second):
			return nil, &dnsr.Error{Kind: dnsr.Temporary, Name: name, Type: "TXT"}
		}
	}
	return nil, &dnsr.Error{Kind: dnsr.NXDomain, Name: name, Type: "TXT"}
}

func (g *gatedResolver) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	return nil, &dnsr.Error{Kind: dnsr.NXDomain, Name: domain, Type: "MX"}
}

func (g *gatedResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	return nil, &dnsr.Error{Kind: dnsr.NXDomain, Name: host, Type: "A"}
}

func (g *gatedResolver) LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error) {
	return nil, &dnsr.Error{Kind: dnsr.NXDomain, Name: ip.String(), Type: "PTR"}
}

// TestPrefetchStartsDMARCAlongsideSPF: with Prefetch the policy lookup
// runs while SPF is still waiting, so the SPF check (gated on it) passes
// and DMARC passes through SPF; without Prefetch the same gate times out
// (SPF temperror), which proves the gate bites.
func TestPrefetchStartsDMARCAlongsideSPF(t *testing.T) {
	msg := "From: <a@gate.example>\r\nSubject: s\r\n\r\nbody\r\n"
	in := Input{ClientIP: clientIP, Helo: "gate.example", MailFrom: "a@gate.example"}
	for _, prefetch := range []bool{true, false} {
		g := &gatedResolver{dmarcAsked: make(chan struct{})}
		c := New(Config{AuthServID: servID, Resolver: g, Prefetch: prefetch}, discard())
		v, err := c.Check(context.Background(), in, strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if prefetch && (v.SPF.Result != "pass" || v.DMARC.Result != "pass" || v.Action != Deliver) {
			t.Errorf("prefetch: spf %s, dmarc %s, action %v; want pass, pass, deliver", v.SPF.Result, v.DMARC.Result, v.Action)
		}
		if !prefetch && v.SPF.Result != "temperror" {
			t.Errorf("no prefetch: spf %s, want temperror (the gate did not hold)", v.SPF.Result)
		}
	}
}
