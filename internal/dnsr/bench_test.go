package dnsr_test

import (
	"context"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// BenchmarkLookupTXT: one TXT lookup (a DMARC record's) from a loopback
// DNS server, uncached and cached.
func BenchmarkLookupTXT(b *testing.B) {
	s := dnstest.Start(b)
	s.Add(b, `_dmarc.example.org. TXT "v=DMARC1; p=reject"`)
	ctx := context.Background()
	for _, cache := range []bool{false, true} {
		name := "uncached"
		if cache {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			r := dnsr.NewFromConfig(dnsr.Config{Servers: []string{s.Addr}, Timeout: 5 * time.Second, Cache: cache})
			for b.Loop() {
				if _, err := r.LookupTXT(ctx, "_dmarc.example.org"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
