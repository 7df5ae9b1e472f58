package dnsr_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

func setup(t *testing.T) (*dnstest.Server, dnsr.Resolver, context.Context) {
	t.Helper()
	s := dnstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return s, dnsr.New([]string{s.Addr}, 300*time.Millisecond), ctx
}

func TestLookupMXSorted(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, "example.org. MX 20 b.example.org.", "example.org. MX 5 a.example.org.", "example.org. MX 10 c.example.org.")
	mxs, err := r.LookupMX(ctx, "Example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mx := range mxs {
		got = append(got, mx.Host)
	}
	if want := []string{"a.example.org.", "c.example.org.", "b.example.org."}; !slices.Equal(got, want) {
		t.Fatalf("MX = %q, want %q", got, want)
	}
}

func TestKinds(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, "a-only.example. A 192.0.2.1")
	s.ServFail("broken.example")
	s.Silent("slow.example")
	for _, tc := range []struct {
		name      string
		kind      dnsr.Kind
		notFound  bool
		temporary bool
	}{
		{"nowhere.example", dnsr.NXDomain, true, false},
		{"a-only.example", dnsr.NoData, true, false},
		{"broken.example", dnsr.Temporary, false, true},
		{"slow.example", dnsr.Temporary, false, true},
	} {
		_, err := r.LookupMX(ctx, tc.name)
		if err == nil || dnsr.KindOf(err) != tc.kind || dnsr.IsNotFound(err) != tc.notFound || dnsr.IsTemporary(err) != tc.temporary {
			t.Errorf("%s: err = %v (kind %v)", tc.name, err, dnsr.KindOf(err))
		}
	}
	if dnsr.IsNotFound(nil) || dnsr.IsTemporary(nil) {
		t.Error("nil is neither")
	}
}

func TestLookupIP(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, "mx.example. A 192.0.2.1", "mx.example. AAAA 2001:db8::1", "v6.example. AAAA 2001:db8::2")
	s.ServFail("half.example")
	got, err := r.LookupIP(ctx, "mx.example.")
	slices.SortFunc(got, netip.Addr.Compare)
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("LookupIP = %v %v", got, err)
	}
	if got, err := r.LookupIP(ctx, "v6.example"); err != nil || len(got) != 1 {
		t.Fatalf("v6 only = %v %v", got, err)
	}
	if got, err := r.LookupIP(ctx, "[192.0.2.9]"); err != nil || got[0] != netip.MustParseAddr("192.0.2.9") {
		t.Fatalf("literal = %v %v", got, err)
	}
	if _, err := r.LookupIP(ctx, "half.example"); !dnsr.IsTemporary(err) {
		t.Fatalf("servfail: %v", err)
	}
	if _, err := r.LookupIP(ctx, "none.example"); dnsr.KindOf(err) != dnsr.NXDomain {
		t.Fatalf("nxdomain: %v", err)
	}
}

func TestTXTOverTCP(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, `example.org. TXT "v=spf1 " "-all"`, `example.org. TXT "other"`)
	s.TruncateUDP()
	got, err := r.LookupTXT(ctx, "example.org")
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{"other", "v=spf1 -all"}) {
		t.Fatalf("TXT = %q %v", got, err)
	}
}

func TestSecondServer(t *testing.T) {
	s, _, ctx := setup(t)
	s.Add(t, "example.org. MX 0 .")
	bad := dnstest.Start(t)
	bad.ServFail("example.org")
	r := dnsr.New([]string{bad.Addr, s.Addr}, time.Second)
	mxs, err := r.LookupMX(ctx, "example.org")
	if err != nil || len(mxs) != 1 || mxs[0].Host != "." {
		t.Fatalf("null MX via second server = %v %v", mxs, err)
	}
}

func TestIDNA(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, "xn--bcher-kva.example. MX 10 mx.example.")
	if mxs, err := r.LookupMX(ctx, "bücher.example"); err != nil || len(mxs) != 1 {
		t.Fatalf("U-label lookup = %v %v", mxs, err)
	}
}

func TestReverseName(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t,
		"1.2.0.192.in-addr.arpa. PTR mail.example.",
		"mail.example. A 192.0.2.1",
		"2.2.0.192.in-addr.arpa. PTR liar.example.",
		"liar.example. A 192.0.2.99",
	)
	if got := dnsr.ReverseName(ctx, r, netip.MustParseAddr("::ffff:192.0.2.1")); got != "mail.example" {
		t.Fatalf("confirmed = %q", got)
	}
	if got := dnsr.ReverseName(ctx, r, netip.MustParseAddr("192.0.2.2")); got != "" {
		t.Fatalf("unconfirmed = %q", got)
	}
	if got := dnsr.ReverseName(ctx, r, netip.MustParseAddr("192.0.2.3")); got != "" {
		t.Fatalf("no PTR = %q", got)
	}
}

// TestTXTOctets: a TXT value comes back as its octets, not in the zone
// file's escaped form: quotes, backslashes, semicolons and UTF-8 (sent on
// the wire as raw octets) as they are.
func TestTXTOctets(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, `q.example.org. TXT "a\"b\\c;d" "\195\169t\195\169"`)
	got, err := r.LookupTXT(ctx, "q.example.org")
	if err != nil || len(got) != 1 || got[0] != "a\"b\\c;d"+"été" {
		t.Fatalf("TXT = %q %v", got, err)
	}
}
