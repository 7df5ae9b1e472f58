package dmarc_test

import (
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/dmarc"
)

func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":            "example.com",
		"mail.example.com":       "example.com",
		"a.b.c.example.com":      "example.com",
		"example.co.uk":          "example.co.uk",
		"mail.example.co.uk":     "example.co.uk",
		"co.uk":                  "co.uk", // a public suffix is its own
		"com":                    "com",
		"foo.cromulent":          "foo.cromulent", // unlisted TLD: last two labels
		"a.b.foo.cromulent":      "foo.cromulent",
		"alice.github.io":        "alice.github.io", // private section
		"www.alice.github.io":    "alice.github.io",
		"a.b.example.ck":         "b.example.ck", // *.ck wildcard
		"mail.www.ck":            "www.ck",       // !www.ck exception
		"mail.xn--bcher-kva.com": "xn--bcher-kva.com",
		"x.example.xn--p1ai":     "example.xn--p1ai", // .рф
	} {
		if got := dmarc.OrgDomain(in); got != want {
			t.Errorf("OrgDomain(%q) = %q, want %q", in, got, want)
		}
	}
	if v := dmarc.PSLVersion(); !strings.Contains(v, "d6c92f1bbb74") {
		t.Errorf("PSL version %q: update the version in OrgDomain's doc", v)
	}
}

func TestAligned(t *testing.T) {
	for _, c := range []struct {
		auth, from string
		mode       dmarc.Alignment
		want       bool
	}{
		{"example.com", "example.com", dmarc.Strict, true},
		{"mail.example.com", "example.com", dmarc.Strict, false},
		{"mail.example.com", "example.com", dmarc.Relaxed, true},
		{"example.com", "news.example.com", dmarc.Relaxed, true},
		{"a.example.com", "b.example.com", dmarc.Relaxed, true},
		{"notexample.com", "example.com", dmarc.Relaxed, false},
		{"example.co.uk", "other.co.uk", dmarc.Relaxed, false},
		{"alice.github.io", "bob.github.io", dmarc.Relaxed, false},
		{"", "example.com", dmarc.Relaxed, false},
	} {
		if got := dmarc.Aligned(c.auth, c.from, c.mode); got != c.want {
			t.Errorf("Aligned(%q, %q, %s) = %v", c.auth, c.from, c.mode, got)
		}
	}
}
