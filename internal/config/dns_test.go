package config

import (
	"strings"
	"testing"
)

// dns.cache: on by default, a boolean.
func TestDNSCache(t *testing.T) {
	if !Default().DNS.Cache {
		t.Fatal("dns.cache is off by default")
	}
	c, errs := Parse("[dns]\ncache = false\n")
	if errs != nil || c.DNS.Cache {
		t.Fatalf("Parse(cache = false) = %+v %v", c.DNS, errs)
	}
	want := Error{"dns.cache", 2, "want a boolean (true or false); found a string"}
	if got := parseProblems(t, "[dns]\ncache = \"no\""); len(got) != 1 || *got[0] != want {
		t.Fatalf("Parse(cache = \"no\") = %v, want [%v]", got, &want)
	}
}

// dns.dnssec: off by default; on, only loopback resolvers.
func TestDNSSEC(t *testing.T) {
	if Default().DNS.DNSSEC {
		t.Fatal("dns.dnssec is on by default")
	}
	c, errs := Parse("[dns]\ndnssec = true\nservers = [\"127.0.0.1:53\", \"[::1]:5353\"]\n")
	if errs != nil || !c.DNS.DNSSEC {
		t.Fatalf("Parse(dnssec = true) = %+v %v", c.DNS, errs)
	}
	got := parseProblems(t, "[dns]\ndnssec = true\nservers = [\"127.0.0.1:53\", \"192.0.2.1:53\"]\n")
	want := `"192.0.2.1:53": with dns.dnssec the resolver must be on a loopback address (127.0.0.1, ::1)`
	if len(got) != 1 || !strings.Contains(got[0].Error(), want) {
		t.Fatalf("non-loopback resolver with dnssec: %v", got)
	}
	// /etc/resolv.conf is not trusted with the AD bit: the servers must
	// be named.
	got = parseProblems(t, "[dns]\ndnssec = true\n")
	if len(got) != 1 || !strings.Contains(got[0].Error(), "dns.dnssec needs the loopback address of a validating resolver") {
		t.Fatalf("dnssec without servers: %v", got)
	}
	if _, errs := Parse("[dns]\nservers = [\"192.0.2.1:53\"]\n"); errs != nil {
		t.Fatalf("non-loopback resolver without dnssec: %v", errs)
	}
}
