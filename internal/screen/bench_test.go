package screen_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/greylist"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/spfcheck"
	"github.com/petrelmail/petrel/internal/testkit"
)

// BenchmarkScreenPerMessage is Petrel's own cost of screening one
// message on a connection of its own (docs/benchmarks.md "Spam and
// abuse"): the connection rate, two DNS lists answered from the
// resolver's cache, the message and recipient rates, and greylisting of
// a sender seen before (the store's KV on SQLite) or exempt, with the
// X-Spam-Screen field. The DNS round trips of a new client and the
// first message of a triplet are not in it: they are the network's and
// the sender's time.
//
//	go test -run - -bench ScreenPerMessage ./internal/screen/
func BenchmarkScreenPerMessage(b *testing.B) {
	srv := dnstest.Start(b)
	srv.Add(b, "bl.test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 3600", // negative answers are cached
		"bl2.test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 3600")
	res := dnsr.NewFromConfig(dnsr.Config{Servers: []string{srv.Addr}, Timeout: 5 * time.Second, Cache: true})
	bl := lists(b, true, "bl.test*2", "bl2.test")
	s := screen.New(screen.Config{Hostname: "mx.test", Blocklists: bl, Threshold: 2, ConnectionRate: 1 << 30,
		MessageRate: 1 << 30, RecipientRate: 1 << 30}, res, nil)
	client := netip.MustParseAddr("192.0.2.1")
	st := testkit.NewStore(b)
	g := greylist.New(greylist.Config{Delay: time.Nanosecond, SweepEvery: -1}, st)
	in := screen.NewInbound(screen.InboundConfig{Hostname: "mx.test", Greylist: g, ExemptDomains: []string{"exempt.example"}}, nil, discard)
	env := envFrom(b, "a@sender.example", "u@example.org")
	env.ClientIP = client
	for range 2 { // the triplet passes, then the sender is known
		time.Sleep(time.Millisecond)
		if _, err := g.Check(ctx, client, "a@sender.example", []string{"u@example.org"}); err != nil {
			b.Fatal(err)
		}
	}
	s.Connect(ctx, client, discard).Rcpt() // fills the DNS cache
	queries := srv.Queries()
	b.Cleanup(func() {
		if srv.Queries() != queries {
			b.Errorf("%d DNS queries while measuring: the cache did not answer", srv.Queries()-queries)
		}
	})
	for _, c := range []struct {
		name string
		v    msgauth.Verdict
	}{
		{"greylist-known", msgauth.Verdict{}},
		{"greylist-exempt", msgauth.Verdict{SPF: spfcheck.Result{Result: spfcheck.Pass, Domain: "exempt.example"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cl := s.Connect(ctx, client, discard)
				if cl.Admit() != nil || cl.Mail() != nil || cl.Rcpt() != nil {
					b.Fatal("refused")
				}
				e := *env
				e.Screening = cl.Screening()
				if _, r := in.Screen(ctx, &e, c.v); r != nil {
					b.Fatal(r)
				}
			}
		})
	}
}
