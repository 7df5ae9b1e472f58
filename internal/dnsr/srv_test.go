package dnsr_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
)

func TestLookupSRV(t *testing.T) {
	s, _, ctx := setup(t)
	s.Add(t,
		"_imaps._tcp.example.org. SRV 10 1 993 b.example.org.",
		"_imaps._tcp.example.org. SRV 0 5 993 a.example.org.",
		"_imaps._tcp.example.org. SRV 10 9 993 c.example.org.",
		"_pop3._tcp.example.org. SRV 0 0 0 .",
	)
	s.ServFail("_imap._tcp.example.org")
	c := dnsr.NewClient([]string{s.Addr}, 300*time.Millisecond)
	srvs, err := c.LookupSRV(ctx, "_IMAPS._tcp.Example.org")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, r := range srvs {
		got += fmt.Sprintf("%d %d %d %s;", r.Priority, r.Weight, r.Port, r.Target)
	}
	if want := "0 5 993 a.example.org.;10 9 993 c.example.org.;10 1 993 b.example.org.;"; got != want {
		t.Errorf("SRV = %s, want %s", got, want)
	}
	if srvs, err := c.LookupSRV(ctx, "_pop3._tcp.example.org"); err != nil || len(srvs) != 1 || srvs[0].Target != "." {
		t.Errorf("not-offered SRV = %v %v", srvs, err)
	}
	if _, err := c.LookupSRV(ctx, "_submission._tcp.example.org"); dnsr.KindOf(err) != dnsr.NXDomain {
		t.Errorf("missing SRV: %v", err)
	}
	if _, err := c.LookupSRV(ctx, "_imap._tcp.example.org"); !dnsr.IsTemporary(err) {
		t.Errorf("SERVFAIL SRV: %v", err)
	}
}

func TestArpaName(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.10":        "10.2.0.192.in-addr.arpa.",
		"::ffff:192.0.2.10": "10.2.0.192.in-addr.arpa.",
		"2001:db8::1":       "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
	} {
		if got := dnsr.ArpaName(netip.MustParseAddr(ip)); got != want {
			t.Errorf("ArpaName(%s) = %s, want %s", ip, got, want)
		}
	}
	if got := dnsr.ArpaName(netip.Addr{}); got != "" {
		t.Errorf("ArpaName(zero) = %q", got)
	}
}
