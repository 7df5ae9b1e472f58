package mailaddr

import (
	"strings"
	"testing"
)

func TestCanonicalDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.org", "example.org"},
		{"Example.ORG", "example.org"},
		{"example.org.", "example.org"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"BÜCHER.example", "xn--bcher-kva.example"},
		{"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
		{"faß.de", "xn--fa-hia.de"}, // non-transitional: ß is kept
		{"例子.广告", "xn--fsqu00a.xn--4rr70v"},
		{"ｅｘａｍｐｌｅ.org", "example.org"}, // UTS #46 width mapping
		{"localhost", "localhost"},
		{"a-b.example", "a-b.example"},
	}
	for _, tt := range tests {
		got, err := CanonicalDomain(tt.in)
		if err != nil {
			t.Errorf("CanonicalDomain(%q): %v", tt.in, err)
		} else if got != tt.want {
			t.Errorf("CanonicalDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalDomainInvalid(t *testing.T) {
	for _, in := range []string{
		"", ".", "example.org..", "..example.org", "a..b", "-a.example", "a-.example",
		"a_b.example", "a b.example", "user@example.org", "[192.0.2.1]",
		"xn--zz.example", "xn--abc.example", // not valid punycode / ASCII-only A-label
		strings.Repeat("a", 64) + ".example",
		strings.Repeat("abcdefghi.", 26) + "example", // > 253 octets
		"example。", // U+3002 maps to a trailing empty label after the removed dot
	} {
		if got, err := CanonicalDomain(in); err == nil {
			t.Errorf("CanonicalDomain(%q) = %q, want an error", in, got)
		}
	}
}

func TestDisplayDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"xn--bcher-kva.example", "bücher.example"},
		{"example.org", "example.org"},
		{"xn--fsqu00a.xn--4rr70v", "例子.广告"},
		{"xn--zz.example", "xn--zz.example"}, // invalid: unchanged
	}
	for _, tt := range tests {
		if got := DisplayDomain(tt.in); got != tt.want {
			t.Errorf("DisplayDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"User@Example.ORG", "user@example.org"},
		{`"User"@example.org`, "user@example.org"},
		{`"John Doe"@example.org`, `"john doe"@example.org`},
		{"User@BÜCHER.example", "user@xn--bcher-kva.example"},
		{"JÖRG@bücher.example", "jörg@xn--bcher-kva.example"},
		{"jo\u0308rg@example.org", "jörg@example.org"}, // NFC
		{"User%Other@example.org", "user%other@example.org"},
		{"x@[IPv6:2001:DB8:0:0::1]", "x@[IPv6:2001:db8::1]"},
		{"x@[ipv6:::FFFF:192.0.2.1]", "x@[IPv6:::ffff:192.0.2.1]"},
		{"x@[192.0.2.1]", "x@[192.0.2.1]"},
	}
	for _, tt := range tests {
		a, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		c, err := Canonical(a)
		if err != nil {
			t.Errorf("Canonical(%q): %v", tt.in, err)
		} else if c.String() != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, c.String(), tt.want)
		}
	}
}

func TestCanonicalInvalid(t *testing.T) {
	for _, a := range []Address{
		{},
		{Local: "", Domain: "example.org"},
		{Local: "a\x00", Domain: "example.org"},
		{Local: "a\xff", Domain: "example.org"},
		{Local: "a", Domain: ""},
		{Local: "a", Domain: "bad_domain.example"},
		{Local: "a", Domain: "[300.0.0.1]"},
	} {
		if c, err := Canonical(a); err == nil {
			t.Errorf("Canonical(%#v) = %#v, want an error", a, c)
		}
	}
}

func TestSplitSubaddress(t *testing.T) {
	tests := []struct{ local, sep, base, tag string }{
		{"user+tag", "+", "user", "tag"},
		{"user+tag+more", "+", "user", "tag+more"},
		{"user+", "+", "user", ""},
		{"user", "+", "user", ""},
		{"+tag", "+", "+tag", ""},
		{"user+tag", "", "user+tag", ""},
		{"user-tag", "-", "user", "tag"},
		{"user+tag", "-", "user+tag", ""},
		{"user--tag", "--", "user", "tag"},
	}
	for _, tt := range tests {
		base, tag := SplitSubaddress(tt.local, tt.sep)
		if base != tt.base || tag != tt.tag {
			t.Errorf("SplitSubaddress(%q, %q) = %q, %q; want %q, %q", tt.local, tt.sep, base, tag, tt.base, tt.tag)
		}
	}
}
