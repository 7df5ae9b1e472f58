package mailaddr

import (
	"strings"
	"testing"
)

// seeds are inputs for every fuzz target of the package.
func seeds() []string {
	return []string{
		"user@example.org", "User.Name+tag@Example.ORG", `"john doe"@example.org`,
		`"a\"b\\c"@example.org`, `"user@other"@example.org`, "user%other@example.org",
		"host!user@example.org", "user@[192.0.2.1]", "user@[IPv6:2001:db8::1]",
		"jörg@bücher.example", "用户@例子.广告", "user@xn--bcher-kva.example",
		"", "user", "@a,@b:user@c.example", "user@example.org.", `""@x.example`,
		"a\xffb@example.org", "user@[x:y]", "İ@example.org", "K@example.org",
		"<>", "<user@example.org>", "<@a.example,@b.example:user@example.org>",
	}
}

// FuzzParse checks that whatever Parse accepts prints back to the same
// Address and canonicalises, and that Canonical is idempotent.
func FuzzParse(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a.Local == "" || a.Domain == "" {
			t.Fatalf("Parse(%q) = %#v: empty part", s, a)
		}
		b, err := Parse(a.String())
		if err != nil || b != a {
			t.Fatalf("Parse(%q) = %#v; reparse of %q = %#v, %v", s, a, a.String(), b, err)
		}
		c, err := Canonical(a)
		if err != nil {
			t.Fatalf("Canonical(Parse(%q)): %v", s, err)
		}
		if !isASCII(c.Domain) {
			t.Fatalf("Canonical(%q) domain %q is not ASCII", s, c.Domain)
		}
		if c2, err := Canonical(c); err != nil || c2 != c {
			t.Fatalf("Canonical not idempotent for %q: %#v then %#v, %v", s, c, c2, err)
		}
	})
}

// FuzzParsePath checks that ParsePath accepts exactly the bracketed
// mailboxes Parse accepts, plus the null path and source routes.
func FuzzParsePath(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParsePath(s)
		if err != nil {
			return
		}
		if s == "<>" {
			if !a.IsZero() {
				t.Fatalf("ParsePath(<>) = %#v", a)
			}
			return
		}
		if b, err := Parse(a.String()); err != nil || b != a {
			t.Fatalf("ParsePath(%q) = %#v; Parse(%q) = %#v, %v", s, a, a.String(), b, err)
		}
		if !strings.HasPrefix(s, "<@") {
			if b, err := Parse(s[1 : len(s)-1]); err != nil || b != a {
				t.Fatalf("ParsePath(%q) = %#v; Parse of its content = %#v, %v", s, a, b, err)
			}
		}
	})
}

// FuzzCanonicalDomain checks that canonical domains are ASCII, lower case,
// stable, and survive a round trip through their display form.
func FuzzCanonicalDomain(f *testing.F) {
	for _, s := range []string{
		"example.org", "Example.ORG.", "bücher.example", "XN--BCHER-KVA.example",
		"faß.de", "例子.广告", "ｅｘａｍｐｌｅ.org", "a..b", "xn--zz", "[192.0.2.1]", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := CanonicalDomain(s)
		if err != nil {
			return
		}
		if !isASCII(d) || d != strings.ToLower(d) || strings.HasSuffix(d, ".") || d == "" {
			t.Fatalf("CanonicalDomain(%q) = %q: not canonical", s, d)
		}
		if d2, err := CanonicalDomain(d); err != nil || d2 != d {
			t.Fatalf("CanonicalDomain(%q) = %q; again: %q, %v", s, d, d2, err)
		}
		if d3, err := CanonicalDomain(DisplayDomain(d)); err != nil || d3 != d {
			t.Fatalf("CanonicalDomain(DisplayDomain(%q)) = %q, %v", d, d3, err)
		}
	})
}
