package dnslist

import (
	"net/netip"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		spec     string
		weighted bool
		want     string // String(); "" = an error
		weight   int
	}{
		{"zen.example.org", true, "zen.example.org", 1},
		{"Zen.Example.org.*3", true, "zen.example.org*3", 3},
		{"bl.example=127.0.0.2", true, "bl.example=127.0.0.2", 1},
		{"bl.example=127.0.0.[2..11]*2", true, "bl.example=127.0.0.[2..11]*2", 2},
		{"wl.example=127.0.[0..255].[1..3]", false, "wl.example=127.0.[0..255].[1..3]", 1},
		{"wl.example*2", false, "", 0},      // no weight on an allowlist
		{"bl.example*0", true, "", 0},       // weight out of range
		{"bl.example*x", true, "", 0},       // not a number
		{"bl.example=127.0.0", true, "", 0}, // three octets
		{"bl.example=127.0.0.[5..2]", true, "", 0},
		{"bl.example=127.0.0.256", true, "", 0},
		{"bl.example=127.0.0.[2]", true, "", 0},
		{"", true, "", 0},
		{"bad zone", true, "", 0},
		{"a..b", true, "", 0},
	} {
		l, err := Parse(c.spec, c.weighted)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("Parse(%q) = %v, want an error", c.spec, l)
		case c.want != "" && err != nil:
			t.Errorf("Parse(%q): %v", c.spec, err)
		case c.want != "" && (l.String() != c.want || l.Weight != c.weight):
			t.Errorf("Parse(%q) = %q weight %d, want %q weight %d", c.spec, l.String(), l.Weight, c.want, c.weight)
		}
	}
}

func TestMatches(t *testing.T) {
	any, _ := Parse("bl.example", true)
	pat, _ := Parse("bl.example=127.0.0.[2..3]", true)
	for _, c := range []struct {
		l    List
		addr string
		want bool
	}{
		{any, "127.0.0.2", true},
		{any, "127.0.0.10", true},
		{any, "127.255.255.254", false}, // an error code, not a listing
		{any, "192.0.2.1", false},       // outside 127/8: never a listing
		{any, "::1", false},
		{pat, "127.0.0.3", true},
		{pat, "127.0.0.4", false},
		{pat, "127.0.1.2", false},
	} {
		if got := c.l.Matches(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("%s matches %s = %v, want %v", c.l, c.addr, got, c.want)
		}
	}
}

func TestQueryName(t *testing.T) {
	for _, c := range []struct{ ip, want string }{
		{"192.0.2.99", "99.2.0.192.bl.example"},
		{"::ffff:192.0.2.99", "99.2.0.192.bl.example"},
		{"2001:db8:1:2::3", "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example"},
	} {
		if got := QueryName(netip.MustParseAddr(c.ip), "bl.example"); got != c.want {
			t.Errorf("QueryName(%s) = %s, want %s", c.ip, got, c.want)
		}
	}
}
