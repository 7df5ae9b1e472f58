package main

import (
	"context"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// petrel serve shares one cached resolver: the second message from
// sender.test is authenticated without asking DNS again for its SPF,
// DKIM key or DMARC policy.
func TestServeCachesDNS(t *testing.T) {
	s := newAuthSite(t)
	names := []string{"sender.test", "s1._domainkey.sender.test", "_dmarc.sender.test"}
	for i := range 2 {
		msg := s.authMessage("Sam <sam@sender.test>", "cached "+string(rune('a'+i)), "", true)
		if err := e2eSend(s.smtp, "client.sender.test", "sam@sender.test", []string{"bob@petrel.test"}, msg); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if n := s.dns.QueriesFor(name); n != 1 {
				t.Fatalf("message %d: %d queries for %s, want 1", i+1, n, name)
			}
		}
	}
}

// dns.cache = false: every lookup asks.
func TestResolverCacheSetting(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, `example.org. TXT "x"`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, cache := range []bool{true, false} {
		cfg := config.Default()
		cfg.DNS = config.DNS{Servers: []string{srv.Addr}, Cache: cache}
		r := newResolver(cfg)
		before := srv.QueriesFor("example.org")
		for range 2 {
			if _, err := r.LookupTXT(ctx, "example.org"); err != nil {
				t.Fatal(err)
			}
		}
		want := 2
		if cache {
			want = 1
		}
		if n := srv.QueriesFor("example.org") - before; n != want {
			t.Errorf("cache %v: %d queries for 2 lookups, want %d", cache, n, want)
		}
	}
}
