package spfcheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/dnsr"
)

func TestCheckRecord(t *testing.T) {
	valid := []string{
		"v=spf1",
		"v=spf1 -all",
		"V=SPF1 +ALL   ",
		"v=spf1  ip4:192.0.2.0/24   ip6:2001:db8::/32 ~all",
		"v=spf1 ip4:192.0.2.1 ip4:0.0.0.0/0 ip6:::ffff:192.0.2.1 ip6:::/0",
		"v=spf1 a a/24 a//64 a/24//64 a:mail.example.org a:mail.example.org/28//96 mx mx:example.org. -all",
		"v=spf1 ptr ptr:example.org include:_spf.example.org exists:%{ir}.%{v}._spf.%{d} ?all",
		"v=spf1 exists:%{l1r-}.%{o} exists:%{d2}.x-y.example exists:%{i}.123-abc exists:a.%{h}",
		"v=spf1 exists:%%.%_.%-.example redirect=%{d}",
		"v=spf1 exp=explain.%{d} -all",
		"v=spf1 foo=bar%{c}%{r}%{t} x.y-z_w=1 -all",
		"v=spf1 include:example.com.",
		"v=spf1 exists:%{S}.%{L}.%{IR}.example",
	}
	for _, rec := range valid {
		if err := checkRecord(rec); err != nil {
			t.Errorf("%q: %v", rec, err)
		}
	}
	invalid := map[string]string{
		"v=spf1 foo":                "unknown mechanism",
		"v=spf1 +all foo:bar":       "unknown mechanism",
		"v=spf1 all:x":              "all takes no argument",
		"v=spf1 include":            "include needs a domain",
		"v=spf1 include:":           "empty domain-spec",
		"v=spf1 exists":             "exists needs a domain",
		"v=spf1 a:":                 "empty domain-spec",
		"v=spf1 a:example":          "domain-spec does not end in a valid top label",
		"v=spf1 a:example.123":      "domain-spec does not end in a valid top label",
		"v=spf1 a:example.-com":     "domain-spec does not end in a valid top label",
		"v=spf1 a:example.com-":     "domain-spec does not end in a valid top label",
		"v=spf1 a/33":               "invalid prefix length",
		"v=spf1 a//129":             "invalid prefix length",
		"v=spf1 a/024":              "invalid prefix length",
		"v=spf1 a/":                 "invalid prefix length",
		"v=spf1 mx/24/":             "invalid prefix length",
		"v=spf1 ptr/24":             "ptr takes no prefix length",
		"v=spf1 ip4":                "ip4 needs an address",
		"v=spf1 ip4:192.0.2.256":    "invalid ip4 address",
		"v=spf1 ip4:192.0.2.01":     "invalid ip4 address",
		"v=spf1 ip4:2001:db8::1":    "invalid ip4 address",
		"v=spf1 ip6:192.0.2.1":      "invalid ip6 address",
		"v=spf1 ip6:fe80::1%eth0":   "invalid ip6 address",
		"v=spf1 ip4:192.0.2.0/33":   "invalid prefix length",
		"v=spf1 ip6:2001:db8::/129": "invalid prefix length",
		"v=spf1 redirect=a.example redirect=b.example": "modifier repeated",
		"v=spf1 exp=a.example EXP=b.example":           "modifier repeated",
		"v=spf1 redirect=":                             "empty domain-spec",
		"v=spf1 exists:%{x}.example":                   "invalid macro letter",
		"v=spf1 exists:%{c}.example":                   "invalid macro letter",
		"v=spf1 exists:%{}.example":                    "invalid macro letter",
		"v=spf1 exists:%{d0}.example":                  "macro keeps zero parts",
		"v=spf1 exists:%{d2x}.example":                 "invalid macro delimiter",
		"v=spf1 exists:%{d.example":                    "unterminated macro",
		"v=spf1 exists:%x.example":                     "invalid macro",
		"v=spf1 exists:example.com%":                   "lone %",
		"v=spf1 foo=%":                                 "lone %",
		"v=spf1 -all\x01":                              "character outside printable ASCII",
		"v=spf1 exp=\xc3\xa9.example -all":             "character outside printable ASCII",
		"v=spf1 \t-all":                                "character outside printable ASCII",
		"v=spf1 +":                                     "unknown mechanism",
		"v=spf1 -redirect=a.example":                   "unknown mechanism",
	}
	for rec, want := range invalid {
		var se *syntaxError
		err := checkRecord(rec)
		if !errors.As(err, &se) || se.what != want {
			t.Errorf("%q: got %v, want %q", rec, err, want)
		}
	}
}

// fakeTXT answers TXT lookups from a map, as raw bytes (dnsr returns TXT
// strings in presentation form, so bytes outside ASCII cannot be served
// through dnstest).
type fakeTXT map[string][]string

func (f fakeTXT) LookupTXT(_ context.Context, name string) ([]string, error) {
	if txt, ok := f[name]; ok {
		return txt, nil
	}
	return nil, &dnsr.Error{Kind: dnsr.NXDomain, Name: name, Type: "TXT"}
}

func (f fakeTXT) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, &dnsr.Error{Kind: dnsr.NoData}
}

func (f fakeTXT) LookupIP(context.Context, string) ([]netip.Addr, error) {
	return nil, &dnsr.Error{Kind: dnsr.NoData}
}

func (f fakeTXT) LookupAddr(context.Context, netip.Addr) ([]string, error) {
	return nil, &dnsr.Error{Kind: dnsr.NXDomain}
}

func TestNonASCIIRecord(t *testing.T) {
	r := fakeTXT{
		"ok.example":    {"v=spf1 ip4:192.0.2.1 -all"},
		"bad.example":   {"v=spf1 ip4:192.0.2.1 exp=\xc3\xa9.example -all"},
		"other.example": {"v=spf1 ip4:192.0.2.1 -all", "caf\xc3\xa9 is not SPF"},
	}
	ip := netip.MustParseAddr("192.0.2.1")
	for from, want := range map[string]string{
		"u@ok.example":    "pass",
		"u@bad.example":   "permerror",
		"u@other.example": "pass",
	} {
		got, _ := Check(context.Background(), r, ip, "helo.example", from)
		if got.Result != want {
			t.Errorf("%s: got %+v, want %s", from, got, want)
		}
	}
}

func FuzzCheckRecord(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all", "v=spf1 a:%{d}.x/24//64 mx ptr ip4:1.2.3.4/8 ip6:::1/128 exists:%{ir}.%{v}.x redirect=x.y",
		"v=spf1 exp=%{d1r.-}.example foo=%%%_%-", "v=spf1 a:%{", "v=spf1 %", "v=spf1 ip4:1.2.3.4/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		if !strings.HasPrefix(strings.ToLower(rec), "v=spf1") {
			rec = "v=spf1 " + rec
		}
		err := checkRecord(rec)
		var se *syntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("%q: error of another type: %v", rec, err)
		}
		if err == nil {
			for i := range len(rec) {
				if rec[i] < 0x20 || rec[i] > 0x7e {
					t.Fatalf("%q accepted with byte %#x", rec, rec[i])
				}
			}
		}
	})
}
