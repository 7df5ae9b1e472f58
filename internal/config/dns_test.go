package config

import "testing"

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
