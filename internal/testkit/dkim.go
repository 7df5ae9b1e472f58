package testkit

import (
	"log/slog"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// DKIM makes a new key of algorithm for domain and selector, and returns
// a signer holding it and a resolver asking a loopback DNS server that
// publishes it (to verify what the signer signed).
func DKIM(t testing.TB, domain, selector, algorithm string) (*dkim.Signer, dkim.TXTResolver) {
	t.Helper()
	dir := t.TempDir()
	k, err := dkim.Generate(dir, domain, selector, algorithm, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.Start(t)
	srv.Add(t, k.ZoneRecord())
	return dkim.NewSigner(dir, slog.New(slog.DiscardHandler)), dnsr.New([]string{srv.Addr}, time.Second)
}
