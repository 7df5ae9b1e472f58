package testkit

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// DKIM makes a new key of algorithm for domain and selector in ks (a
// store's key/value storage), and returns a signer reading ks and a
// resolver asking a loopback DNS server that publishes the key (to verify
// what the signer signed).
func DKIM(t testing.TB, ks dkim.KeyStore, domain, selector, algorithm string) (*dkim.Signer, dkim.TXTResolver) {
	t.Helper()
	k, err := dkim.Generate(context.Background(), ks, domain, selector, algorithm, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.Start(t)
	srv.Add(t, k.ZoneRecord())
	return dkim.NewSigner(ks, slog.New(slog.DiscardHandler)), dnsr.New([]string{srv.Addr}, time.Second)
}
