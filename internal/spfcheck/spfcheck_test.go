package spfcheck_test

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/spfcheck"
)

// dnsr's resolver is what production passes.
var _ spfcheck.Resolver = dnsr.New(nil, 0)

// zone holds the records of every case below (one domain per case).
var zone = []string{
	// pass by each mechanism
	`ip4.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"`,
	`ip6.example. TXT "v=spf1 ip6:2001:db8::/32 -all"`,
	`a.example. TXT "v=spf1 a -all"`,
	`a.example. A 192.0.2.20`,
	`acidr.example. TXT "v=spf1 a:host.acidr.example/24 -all"`,
	`host.acidr.example. A 198.51.100.1`,
	`mx.example. TXT "v=spf1 mx -all"`,
	`mx.example. MX 10 mail.mx.example.`,
	`mail.mx.example. A 192.0.2.30`,
	`inc.example. TXT "v=spf1 include:_spf.other.example -all"`,
	`_spf.other.example. TXT "v=spf1 ip4:192.0.2.40 -all"`,
	`red.example. TXT "v=spf1 redirect=_spf.other.example"`,
	`ex.example. TXT "v=spf1 exists:%{i}._spf.%{d} -all"`,
	`192.0.2.50._spf.ex.example. A 127.0.0.2`,
	`upper.example. TXT "V=SPF1 IP4:192.0.2.0/24 -ALL"`,
	`split.example. TXT "v=spf1 ip4:192.0.2.1" " -all"`,
	// qualifiers
	`fail.example. TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
	`soft.example. TXT "v=spf1 ip4:198.51.100.0/24 ~all"`,
	`neutral.example. TXT "v=spf1 ip4:198.51.100.0/24 ?all"`,
	`default.example. TXT "v=spf1 ip4:198.51.100.0/24"`,
	`minus.example. TXT "v=spf1 -ip4:192.0.2.0/24 +all"`,
	// none
	`nospf.example. TXT "google-site-verification=abc"`,
	`nospf.example. A 192.0.2.1`,
	// permerror
	`two.example. TXT "v=spf1 -all"`,
	`two.example. TXT "v=spf1 +all"`,
	`badip.example. TXT "v=spf1 ip4:192.0.2.300 -all"`,
	`late.example. TXT "v=spf1 +all foo:bar"`,
	`top.example. TXT "v=spf1 a:host.123 ip4:192.0.2.1 -all"`,
	`incnone.example. TXT "v=spf1 include:nospf.example -all"`,
	`incnx.example. TXT "v=spf1 include:nowhere.example -all"`,
	`rednx.example. TXT "v=spf1 redirect=nowhere.example"`,
	`twored.example. TXT "v=spf1 redirect=a.example redirect=ip4.example"`,
	`badinc.example. TXT "v=spf1 include:badip.example ip4:192.0.2.1 -all"`,
	`mac.example. TXT "v=spf1 exists:%{x}.example -all"`,
	// macros
	`m.example. TXT "v=spf1 exists:%{l}.users.%{d} -all"`,
	`alice.users.m.example. A 127.0.0.2`,
	`ms.example. TXT "v=spf1 exists:%{s}.s.example -all"`,
	`alice\@ms.example.s.example. A 127.0.0.2`,
	`md.example. TXT "v=spf1 exists:x.%{d2} -all"`,
	`x.md.example. A 127.0.0.2`,
	`mh.example. TXT "v=spf1 exists:%{h}.h.example -all"`,
	`mx.client.example.h.example. A 127.0.0.2`,
	`mr.example. TXT "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all"`,
	`60.2.0.192.in-addr._spf.mr.example. A 127.0.0.2`,
	`1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.mr.example. A 127.0.0.2`,
	`mo.example. TXT "v=spf1 exists:%{l1r-}.%{o} -all"`,
	`john.mo.example. A 127.0.0.2`,
	`lit.example. TXT "v=spf1 exists:%{i} -all"`,
	// HELO
	`mx.client.example. TXT "v=spf1 a -all"`,
	`mx.client.example. A 192.0.2.70`,
	`null.client.example. TXT "v=spf1 exists:%{l}._l.%{d} -all"`,
	`postmaster._l.null.client.example. A 127.0.0.2`,
	// ptr
	`ptr.example. TXT "v=spf1 ptr -all"`,
	`80.2.0.192.in-addr.arpa. PTR host.ptr.example.`,
	`host.ptr.example. A 192.0.2.80`,
	// IDN
	`xn--bcher-kva.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"`,
}

type tc struct {
	name, ip, helo, from string
	result, reason       string
}

// mailFromCases are checked by TestMailFrom, and against pyspf by
// TestPyspf. Their HELO is mx.client.example unless given.
func mailFromCases() []tc {
	return []tc{
		{"ip4", "192.0.2.10", "", "u@ip4.example", "pass", "matched ip"},
		{"ip4 mapped client", "::ffff:192.0.2.10", "", "u@ip4.example", "pass", "matched ip"},
		{"ip6", "2001:db8::5", "", "u@ip6.example", "pass", "matched ip"},
		{"ip6 no match", "2001:db9::5", "", "u@ip6.example", "fail", "matched all"},
		{"a", "192.0.2.20", "", "u@a.example", "pass", "matched a"},
		{"a cidr", "198.51.100.77", "", "u@acidr.example", "pass", "matched a"},
		{"mx", "192.0.2.30", "", "u@mx.example", "pass", "matched mx"},
		{"include", "192.0.2.40", "", "u@inc.example", "pass", "matched ip"},
		{"redirect", "192.0.2.40", "", "u@red.example", "pass", "matched ip"},
		{"redirect fail", "192.0.2.41", "", "u@red.example", "fail", "matched all"},
		{"exists", "192.0.2.50", "", "u@ex.example", "pass", "matched exists"},
		{"exists no match", "192.0.2.51", "", "u@ex.example", "fail", "matched all"},
		{"ptr", "192.0.2.80", "", "u@ptr.example", "pass", "matched ptr"},
		{"case-insensitive", "192.0.2.10", "", "u@upper.example", "pass", "matched ip"},
		{"strings of one TXT joined", "192.0.2.1", "", "u@split.example", "pass", "matched ip"},
		{"IDN domain", "192.0.2.1", "", "u@bücher.example", "pass", "matched ip"},
		{"fail", "192.0.2.10", "", "u@fail.example", "fail", "matched all"},
		{"softfail", "192.0.2.10", "", "u@soft.example", "softfail", "matched all"},
		{"neutral", "192.0.2.10", "", "u@neutral.example", "neutral", "matched all"},
		{"neutral by default", "192.0.2.10", "", "u@default.example", "neutral", "no term matched"},
		{"minus qualifier", "192.0.2.10", "", "u@minus.example", "fail", "matched ip"},
		{"no record", "192.0.2.10", "", "u@nospf.example", "none", "no SPF record"},
		{"no domain", "192.0.2.10", "", "u@nowhere.example", "none", "no SPF record"},
		{"single label", "192.0.2.10", "", "u@localhost", "none", "MAIL FROM domain is not a valid FQDN"},
		{"empty label", "192.0.2.10", "", "u@a..example", "none", "MAIL FROM domain is not a valid FQDN"},
		{"address literal", "192.0.2.10", "", "u@[192.0.2.10]", "none", "MAIL FROM domain is an address literal"},
		{"servfail", "192.0.2.10", "", "u@broken.example", "temperror", "DNS lookup failed temporarily"},
		{"two records", "192.0.2.10", "", "u@two.example", "permerror", "multiple SPF records"},
		{"syntax error", "192.0.2.10", "", "u@badip.example", "permerror", "record syntax error: invalid ip4 address"},
		{"syntax error after the match", "192.0.2.10", "", "u@late.example", "permerror", "record syntax error: unknown mechanism"},
		{"numeric top label", "192.0.2.1", "", "u@top.example", "permerror", "record syntax error: domain-spec does not end in a valid top label"},
		{"include without record", "192.0.2.10", "", "u@incnone.example", "permerror", "include or redirect target has no SPF record"},
		{"include of no domain", "192.0.2.10", "", "u@incnx.example", "permerror", "include or redirect target has no SPF record"},
		{"redirect to no domain", "192.0.2.10", "", "u@rednx.example", "permerror", "include or redirect target has no SPF record"},
		{"two redirects", "192.0.2.10", "", "u@twored.example", "permerror", "record syntax error: modifier repeated"},
		{"include of a broken record", "192.0.2.1", "", "u@badinc.example", "permerror", "record syntax error: invalid ip4 address"},
		{"unknown macro letter", "192.0.2.1", "", "u@mac.example", "permerror", "record syntax error: invalid macro letter"},
		{"macro l d", "192.0.2.99", "", "alice@m.example", "pass", "matched exists"},
		{"macro l other user", "192.0.2.99", "", "bob@m.example", "fail", "matched all"},
		{"macro s", "192.0.2.99", "", "alice@ms.example", "pass", "matched exists"},
		{"macro d2", "192.0.2.99", "", "u@md.example", "pass", "matched exists"},
		{"macro h", "192.0.2.99", "mx.client.example", "u@mh.example", "pass", "matched exists"},
		{"macro ir v", "192.0.2.60", "", "u@mr.example", "pass", "matched exists"},
		{"macro ir v ipv6", "2001:db8::1", "", "u@mr.example", "pass", "matched exists"},
		{"macro delimiters, o", "192.0.2.99", "", "john-smith@mo.example", "pass", "matched exists"},
		{"exists of an address is a name", "192.0.2.99", "", "u@lit.example", "fail", "matched all"},
		{"null sender", "192.0.2.99", "null.client.example", "", "pass", "matched exists"},
		{"null sender, HELO fails", "192.0.2.71", "mx.client.example", "", "fail", "matched all"},
	}
}

func TestMailFrom(t *testing.T) {
	r, srv := resolver(t)
	srv.Add(t, zone...)
	srv.ServFail("broken.example")
	for _, c := range mailFromCases() {
		t.Run(c.name, func(t *testing.T) {
			helo := c.helo
			if helo == "" {
				helo = "mx.client.example"
			}
			got, _ := spfcheck.Check(ctx(t), r, netip.MustParseAddr(c.ip), helo, c.from)
			if got.Result != c.result || got.Reason != c.reason || got.Identity != "mailfrom" {
				t.Errorf("got %s (%q, %s), want %s (%q)", got.Result, got.Reason, got.Identity, c.result, c.reason)
			}
		})
	}
}

func TestMailFromProperties(t *testing.T) {
	r, srv := resolver(t)
	srv.Add(t, zone...)
	got, _ := spfcheck.Check(ctx(t), r, netip.MustParseAddr("192.0.2.1"), "mx.client.example", "Joe.Smith@Bücher.Example.")
	want := spfcheck.Result{Result: "pass", Identity: "mailfrom", Domain: "xn--bcher-kva.example",
		Sender: "Joe.Smith@xn--bcher-kva.example", Reason: "matched ip"}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	got, _ = spfcheck.Check(ctx(t), r, netip.MustParseAddr("192.0.2.1"), "mx.client.example", "<@ip4.example>")
	if got.Sender != "postmaster@ip4.example" || got.Result != "pass" {
		t.Fatalf("empty local part: %+v", got)
	}
}

func TestHelo(t *testing.T) {
	r, srv := resolver(t)
	srv.Add(t, zone...)
	for _, c := range []tc{
		{"pass", "192.0.2.70", "mx.client.example", "u@ip4.example", "pass", "matched a"},
		{"trailing dot, case", "192.0.2.70", "MX.Client.Example.", "u@ip4.example", "pass", "matched a"},
		{"fail", "192.0.2.71", "mx.client.example", "u@ip4.example", "fail", "matched all"},
		{"IPv4 literal", "192.0.2.70", "[192.0.2.70]", "u@ip4.example", "none", "HELO is an address literal"},
		{"IPv6 literal", "192.0.2.70", "[IPv6:2001:db8::1]", "u@ip4.example", "none", "HELO is an address literal"},
		{"bare address", "192.0.2.70", "192.0.2.70", "u@ip4.example", "none", "HELO is an address literal"},
		{"not qualified", "192.0.2.70", "localhost", "u@ip4.example", "none", "HELO is not a fully qualified domain name"},
		{"empty", "192.0.2.70", "", "u@ip4.example", "none", "no HELO name"},
		{"no record", "192.0.2.70", "nospf.example", "u@ip4.example", "none", "no SPF record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mf, got := spfcheck.Check(ctx(t), r, netip.MustParseAddr(c.ip), c.helo, c.from)
			if got.Result != c.result || got.Reason != c.reason || got.Identity != "helo" {
				t.Errorf("got %s (%q, %s), want %s (%q)", got.Result, got.Reason, got.Identity, c.result, c.reason)
			}
			if mf.Result != "fail" && mf.Result != "pass" {
				t.Errorf("MAIL FROM checked too: %+v", mf)
			}
		})
	}
}

func TestNullSender(t *testing.T) {
	r, srv := resolver(t)
	srv.Add(t, zone...)
	before := srv.Queries()
	// The HELO record passes 192.0.2.99 only through %{l} = postmaster.
	mf, helo := spfcheck.Check(ctx(t), r, netip.MustParseAddr("192.0.2.99"), "null.client.example", "")
	want := spfcheck.Result{Result: "pass", Identity: "mailfrom", Domain: "null.client.example",
		Sender: "postmaster@null.client.example", Reason: "matched exists"}
	if mf != want {
		t.Fatalf("MAIL FROM <> = %+v\nwant %+v", mf, want)
	}
	want.Identity = "helo"
	if helo != want {
		t.Fatalf("HELO = %+v", helo)
	}
	// One check_host() for both: TXT, then exists (A and AAAA).
	if n := srv.Queries() - before; n != 3 {
		t.Errorf("%d queries: the null sender's check ran twice", n)
	}
	mf, _ = spfcheck.Check(ctx(t), r, netip.MustParseAddr("192.0.2.99"), "[192.0.2.99]", "<>")
	if mf.Result != "none" || mf.Identity != "mailfrom" || mf.Reason != "HELO is an address literal" {
		t.Fatalf("MAIL FROM <> with literal HELO = %+v", mf)
	}
}

// TestLookupLimit: RFC 7208 §4.6.4, at most 10 terms that query DNS; the
// 11th is a permerror.
func TestLookupLimit(t *testing.T) {
	r, srv := resolver(t)
	for _, n := range []int{10, 11} {
		var terms []string
		for i := range n {
			name := "i" + strconv.Itoa(i) + ".lim" + strconv.Itoa(n) + ".example"
			terms = append(terms, "include:"+name)
			srv.Add(t, name+`. TXT "v=spf1 -all"`)
		}
		srv.Add(t, "lim"+strconv.Itoa(n)+`.example. TXT "v=spf1 `+strings.Join(terms, " ")+` -all"`)
	}
	// Nested: each level's include counts.
	srv.Add(t, `deep0.example. TXT "v=spf1 include:deep1.example -all"`)
	for i := 1; i <= 11; i++ {
		srv.Add(t, "deep"+strconv.Itoa(i)+`.example. TXT "v=spf1 include:deep`+strconv.Itoa(i+1)+`.example -all"`)
	}
	srv.Add(t, `deep12.example. TXT "v=spf1 +all"`)
	expect(t, r, []outcome{
		{"u@lim10.example", "fail", "matched all"},
		{"u@lim11.example", "permerror", "more than 10 DNS lookups"},
		{"u@deep0.example", "permerror", "more than 10 DNS lookups"},
	})
}

// outcome is the MAIL FROM result expected for a sender from 192.0.2.1.
type outcome struct{ from, result, reason string }

func expect(t *testing.T, r spfcheck.Resolver, cases []outcome) {
	t.Helper()
	ip := netip.MustParseAddr("192.0.2.1")
	for _, c := range cases {
		got, _ := spfcheck.Check(ctx(t), r, ip, "mx.client.example", c.from)
		if got.Result != c.result || got.Reason != c.reason {
			t.Errorf("%s: got %s (%q), want %s (%q)", c.from, got.Result, got.Reason, c.result, c.reason)
		}
	}
}

// TestVoidLookups: RFC 7208 §4.6.4, more than two lookups that find
// nothing are a permerror.
func TestVoidLookups(t *testing.T) {
	r, srv := resolver(t)
	srv.Add(t,
		`void2.example. TXT "v=spf1 a:n1.void.example mx:n2.void.example -all"`,
		`void3.example. TXT "v=spf1 a:n1.void.example mx:n2.void.example exists:n3.void.example -all"`,
		`nodata.example. TXT "v=spf1 a:txtonly.example a:txtonly.example a:txtonly.example -all"`,
		`txtonly.example. TXT "x"`,
	)
	expect(t, r, []outcome{
		{"u@void2.example", "fail", "matched all"},
		{"u@void3.example", "permerror", "more than 2 void lookups"},
		{"u@nodata.example", "permerror", "more than 2 void lookups"},
	})
}

// TestTruncation: RFC 7208 §7.3, an expanded name over 253 octets loses
// labels on the left.
func TestTruncation(t *testing.T) {
	r, srv := resolver(t)
	a, b := strings.Repeat("a", 60), strings.Repeat("b", 60)
	d := a + "." + b + ".trunc.example"
	srv.Add(t,
		d+`. TXT "v=spf1 exists:%{d}.%{d} -all"`,
		b+".trunc.example."+d+". A 127.0.0.2",
	)
	got, _ := spfcheck.Check(ctx(t), r, netip.MustParseAddr("192.0.2.1"), "mx.client.example", "u@"+d)
	if got.Result != "pass" || got.Reason != "matched exists" {
		t.Fatalf("got %+v", got)
	}
}

// TestTemporary: lookups that fail for now are temperror, in the record
// and in a mechanism; a check cut short by ctx too.
func TestTemporary(t *testing.T) {
	r, srv := resolver(t)
	srv.Add(t,
		`amech.example. TXT "v=spf1 a:broken.example -all"`,
		`incslow.example. TXT "v=spf1 include:slow.example -all"`,
		`ip4.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"`,
	)
	srv.ServFail("broken.example")
	srv.Silent("slow.example")
	ip := netip.MustParseAddr("192.0.2.1")
	for _, from := range []string{"u@amech.example", "u@incslow.example", "u@slow.example"} {
		got, _ := spfcheck.Check(ctx(t), r, ip, "mx.client.example", from)
		if got.Result != "temperror" || got.Reason != "DNS lookup failed temporarily" {
			t.Errorf("%s: got %+v", from, got)
		}
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	got, _ := spfcheck.Check(done, r, ip, "mx.client.example", "u@ip4.example")
	if got.Result != "temperror" {
		t.Errorf("cancelled: got %+v", got)
	}
}

func resolver(t *testing.T) (spfcheck.Resolver, *dnstest.Server) {
	t.Helper()
	srv := dnstest.Start(t)
	return dnsr.New([]string{srv.Addr}, 300*time.Millisecond), srv
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// BenchmarkCheck: both identities of a typical sender on loopback DNS
// (MAIL FROM: include of an ip4 list; HELO: a).
func BenchmarkCheck(b *testing.B) {
	srv := dnstest.Start(b)
	srv.Add(b, zone...)
	r := dnsr.New([]string{srv.Addr}, time.Second)
	ip := netip.MustParseAddr("192.0.2.40")
	for b.Loop() {
		mf, _ := spfcheck.Check(context.Background(), r, ip, "mx.client.example", "u@inc.example")
		if mf.Result != "pass" {
			b.Fatal(mf)
		}
	}
}
