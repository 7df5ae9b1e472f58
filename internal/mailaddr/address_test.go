package mailaddr

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in       string
		want     Address
		str      string // String(); "" means in
		literal  bool
		notASCII bool
	}{
		{in: "user@example.org", want: Address{"user", "example.org"}},
		{in: "User.Name+tag@Example.ORG", want: Address{"User.Name+tag", "Example.ORG"}},
		{in: "!#$%&'*+-/=?^_`{|}~@example.org", want: Address{"!#$%&'*+-/=?^_`{|}~", "example.org"}},
		{in: `"user"@example.org`, want: Address{"user", "example.org"}, str: "user@example.org"},
		{in: `"john doe"@example.org`, want: Address{"john doe", "example.org"}},
		{in: `"user@other"@example.org`, want: Address{"user@other", "example.org"}},
		{in: `"a\"b\\c"@example.org`, want: Address{`a"b\c`, "example.org"}},
		{in: `"\a"@example.org`, want: Address{"a", "example.org"}, str: "a@example.org"},
		{in: `".leading"@example.org`, want: Address{".leading", "example.org"}},
		{in: `"a..b"@example.org`, want: Address{"a..b", "example.org"}},
		{in: "user%other@example.org", want: Address{"user%other", "example.org"}},
		{in: "host!user@example.org", want: Address{"host!user", "example.org"}},
		{in: "user@[192.0.2.1]", want: Address{"user", "[192.0.2.1]"}, literal: true},
		{in: "user@[IPv6:2001:db8::1]", want: Address{"user", "[IPv6:2001:db8::1]"}, literal: true},
		{in: "user@[ipv6:::ffff:192.0.2.1]", want: Address{"user", "[ipv6:::ffff:192.0.2.1]"}, literal: true},
		{in: "jörg@bücher.example", want: Address{"jörg", "bücher.example"}, notASCII: true},
		{in: "用户@例子.广告", want: Address{"用户", "例子.广告"}, notASCII: true},
		{in: `"jörg müller"@example.org`, want: Address{"jörg müller", "example.org"}, notASCII: true},
		{in: "user@xn--bcher-kva.example", want: Address{"user", "xn--bcher-kva.example"}},
		{in: "postmaster@localhost", want: Address{"postmaster", "localhost"}},
		{in: "a@1.example", want: Address{"a", "1.example"}},
		{in: strings.Repeat("a", 64) + "@example.org", want: Address{strings.Repeat("a", 64), "example.org"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		str := tt.str
		if str == "" {
			str = tt.in
		}
		if got.String() != str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got.String(), str)
		}
		if got.IsLiteral() != tt.literal {
			t.Errorf("Parse(%q).IsLiteral() = %v", tt.in, got.IsLiteral())
		}
		if got.IsASCII() == tt.notASCII {
			t.Errorf("Parse(%q).IsASCII() = %v", tt.in, got.IsASCII())
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"user", "missing @domain"},
		{"user@", "invalid domain"},
		{"@example.org", "source route"},
		{"@a,@b:user@c.example", "source route"},
		{"<user@example.org>", "not a dot-string"},
		{"user@example.org.", "ends with a dot"},
		{".user@example.org", "not a dot-string"},
		{"user.@example.org", "not a dot-string"},
		{"us..er@example.org", "not a dot-string"},
		{"us er@example.org", "not a dot-string"},
		{"us\"er@example.org", "not a dot-string"},
		{"a(b)@example.org", "not a dot-string"},
		{`""@example.org`, "empty local part"},
		{`"unterminated@example.org`, "unterminated"},
		{`"a"b@example.org`, "missing @domain"},
		{`"tab` + "\t" + `"@example.org`, "invalid character"},
		{`"bad\` + "\x01" + `"@example.org`, "backslash"},
		{"a\x00b@example.org", "not a dot-string"},
		{"a\xffb@example.org", "not a dot-string"},
		{"a\u0085b@example.org", "not a dot-string"},
		{"user@exa mple.org", "invalid domain"},
		{"user@exa_mple.org", "invalid domain"},
		{"user@-example.org", "invalid domain"},
		{"user@example..org", "invalid domain"},
		{"user@.example.org", "invalid domain"},
		{"user@a@b.example", "invalid domain"},
		{"user@xn--invalid-.example", "invalid domain"},
		{"user@" + strings.Repeat("a", 64) + ".example", "invalid domain"},
		{"user@" + strings.Repeat("abcdefgh.", 29) + "org", "more than 255"},
		{strings.Repeat("a", 65) + "@example.org", "more than 64"},
		{`"` + strings.Repeat("a", 62) + ` "@example.org`, "more than 64"},
		{"user@[192.0.2.256]", "invalid IPv4"},
		{"user@[192.0.2.1", "not in brackets"},
		{"user@[2001:db8::1]", "unsupported address literal"},
		{"user@[IPv6:192.0.2.1]", "invalid IPv6"},
		{"user@[IPv6:fe80::1%eth0]", "invalid IPv6"},
		{"user@[x-tag:stuff]", "unsupported address literal"},
	}
	for _, tt := range tests {
		a, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %#v, want an error (%s)", tt.in, a, tt.why)
			continue
		}
		if !strings.Contains(err.Error(), tt.why) {
			t.Errorf("Parse(%q) error %q does not mention %q", tt.in, err, tt.why)
		}
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want Address
	}{
		{"<>", Address{}},
		{"<user@example.org>", Address{"user", "example.org"}},
		{`<"a b"@example.org>`, Address{"a b", "example.org"}},
		{"<@relay.example:user@example.org>", Address{"user", "example.org"}},
		{"<@a.example,@b.example:user@example.org>", Address{"user", "example.org"}},
		{"<@a.example,@b.example:\"x:y\"@example.org>", Address{"x:y", "example.org"}},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.in, err)
		} else if got != tt.want {
			t.Errorf("ParsePath(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	if a, _ := ParsePath("<>"); a.String() != "" || !a.IsZero() {
		t.Errorf("null path: String %q, IsZero %v", a.String(), a.IsZero())
	}
}

func TestParsePathInvalid(t *testing.T) {
	for _, in := range []string{
		"", "<", ">", "user@example.org", "<user@example.org", "user@example.org>",
		"< user@example.org>", "<user@example.org >", "<<>>",
		"<@relay.example>", "<@relay.example:>", "<@relay.example,user@example.org>",
		"<@bad_host.example:user@example.org>", "<@a.example,b.example:user@example.org>",
		"<@:user@example.org>",
	} {
		if a, err := ParsePath(in); err == nil {
			t.Errorf("ParsePath(%q) = %#v, want an error", in, a)
		}
	}
}

func TestStringQuoting(t *testing.T) {
	tests := []struct {
		a    Address
		want string
	}{
		{Address{"user", "example.org"}, "user@example.org"},
		{Address{"a b", "example.org"}, `"a b"@example.org`},
		{Address{`a"b`, "example.org"}, `"a\"b"@example.org`},
		{Address{`a\b`, "example.org"}, `"a\\b"@example.org`},
		{Address{"a@b", "example.org"}, `"a@b"@example.org`},
		{Address{"a.", "example.org"}, `"a."@example.org`},
		{Address{"jörg", "bücher.example"}, "jörg@bücher.example"},
		{Address{"x", "[192.0.2.1]"}, "x@[192.0.2.1]"},
		{Address{}, ""},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.a, got, tt.want)
		}
	}
}
