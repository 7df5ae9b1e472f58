package screen_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/dnslist"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/testkit"
)

var (
	ctx     = context.Background()
	listed  = netip.MustParseAddr("127.0.0.2") // RFC 5782's test entry
	clean   = netip.MustParseAddr("192.0.2.7")
	discard = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func lists(t testing.TB, weighted bool, specs ...string) []dnslist.List {
	t.Helper()
	var out []dnslist.List
	for _, s := range specs {
		l, err := dnslist.Parse(s, weighted)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// dnsServer serves three blocklists that list 127.0.0.2 (with 127.0.0.2,
// 127.0.0.3 and an error code) and an allowlist that lists it too.
func dnsServer(t *testing.T) (*dnstest.Server, screen.Resolver) {
	srv := dnstest.Start(t)
	srv.Add(t,
		"2.0.0.127.one.bl.test. A 127.0.0.2",
		"2.0.0.127.two.bl.test. A 127.0.0.3",
		"2.0.0.127.err.bl.test. A 127.255.255.254",
		"2.0.0.127.wl.test. A 127.0.10.2",
	)
	return srv, dnsr.NewFromConfig(dnsr.Config{Servers: []string{srv.Addr}, Timeout: 10 * time.Second, Cache: true})
}

// TestDNSListsWeights: the weights of the blocklists that list the
// client add up; reaching the threshold refuses its recipients with 554
// 5.7.1 naming the lists; an answer outside the pattern or an error code
// counts for nothing; a client on no list passes.
func TestDNSListsWeights(t *testing.T) {
	_, res := dnsServer(t)
	for _, c := range []struct {
		name      string
		bl        []string
		threshold int
		score     int
		refused   bool
	}{
		{"one list reaches 1", []string{"one.bl.test"}, 1, 1, true},
		{"weights add to the threshold", []string{"one.bl.test*1", "two.bl.test*2"}, 3, 3, true},
		{"weights short of the threshold", []string{"one.bl.test*1", "two.bl.test*2"}, 4, 3, false},
		{"an error code is no listing", []string{"err.bl.test*5"}, 1, 0, false},
		{"a pattern that does not match", []string{"two.bl.test=127.0.0.2*5"}, 1, 0, false},
		{"a pattern that matches", []string{"two.bl.test=127.0.0.[3..4]*5"}, 5, 5, true},
		{"a list without the client", []string{"none.bl.test*9"}, 1, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := screen.New(screen.Config{Hostname: "mx.test", Blocklists: lists(t, true, c.bl...), Threshold: c.threshold}, res, nil)
			cl := s.Connect(ctx, listed, discard)
			rf := cl.Rcpt()
			v := cl.Screening()
			if v == nil || v.Score != c.score || v.Threshold != c.threshold {
				t.Fatalf("verdict %+v, want score %d of %d", v, c.score, c.threshold)
			}
			if (rf != nil) != c.refused {
				t.Fatalf("refusal %+v, want refused=%v", rf, c.refused)
			}
			if rf != nil && (rf.Reply.Code != 554 || rf.Reply.Enhanced.String() != "5.7.1" || rf.Reason != screen.ReasonDNSBL ||
				!strings.Contains(rf.Reply.Text, "[127.0.0.2]") || !strings.Contains(rf.Reply.Text, v.Listed[0])) {
				t.Errorf("refusal %v (%s), want 554 5.7.1 naming the client and the lists", rf.Reply, rf.Reason)
			}
			other := s.Connect(ctx, clean, discard)
			if rf := other.Rcpt(); rf != nil || other.Screening().Score != 0 {
				t.Errorf("a client on no list: %+v, %+v", rf, other.Screening())
			}
		})
	}
}

// TestDNSWLExempts: a client on an allowlist is never refused for its
// blocklists; the verdict names the allowlist.
func TestDNSWLExempts(t *testing.T) {
	_, res := dnsServer(t)
	s := screen.New(screen.Config{Blocklists: lists(t, true, "one.bl.test*5"), Allowlists: lists(t, false, "wl.test=127.0.[0..255].[1..3]"),
		Threshold: 1}, res, nil)
	cl := s.Connect(ctx, listed, discard)
	if rf := cl.Rcpt(); rf != nil {
		t.Fatalf("an allowlisted client refused: %v", rf.Reply)
	}
	if v := cl.Screening(); v.Allowed != "wl.test" || v.Score != 5 {
		t.Fatalf("verdict %+v, want allowed by wl.test with the score kept", v)
	}
	// The allowlist's pattern matters: 127.0.10.2 is not trust level 0.
	s = screen.New(screen.Config{Blocklists: lists(t, true, "one.bl.test"), Allowlists: lists(t, false, "wl.test=127.0.[0..255].0")}, res, nil)
	if rf := s.Connect(ctx, listed, discard).Rcpt(); rf == nil {
		t.Fatal("an allowlist answer outside its pattern exempted the client")
	}
}

// TestLookupDeadline: a list that never answers does not hold the
// session past dns_timeout; it counts as not listing the client, and the
// lists that answered still count. A second client's lookups are
// answered from the cache.
func TestLookupDeadline(t *testing.T) {
	srv, res := dnsServer(t)
	srv.Silent("2.0.0.127.slow.bl.test")
	reg := prometheus.NewRegistry()
	const limit = 300 * time.Millisecond
	s := screen.New(screen.Config{Blocklists: lists(t, true, "slow.bl.test*5", "one.bl.test"), Threshold: 1, LookupTimeout: limit},
		res, screen.NewMetrics(reg))
	start := time.Now()
	cl := s.Connect(ctx, listed, discard)
	rf := cl.Rcpt()
	if d := time.Since(start); d > limit+2*time.Second {
		t.Fatalf("the verdict took %v with dns_timeout %v", d, limit)
	}
	v := cl.Screening()
	if rf == nil || v.Score != 1 || len(v.Unanswered) != 1 || v.Unanswered[0] != "slow.bl.test" {
		t.Fatalf("verdict %+v, refusal %v: want one.bl.test counted, slow.bl.test unanswered", v, rf)
	}
	m := testkit.Gather(t, reg)
	if m[`petrel_screen_dnsl_lookups_total{outcome=unanswered,zone=slow.bl.test}`] != 1 ||
		m[`petrel_screen_dnsl_lookups_total{outcome=listed,zone=one.bl.test}`] != 1 ||
		m[`petrel_screen_decisions_total{check=dnsbl,result=reject}`] != 1 {
		t.Errorf("metrics: %v", m)
	}
	n := srv.QueriesFor("2.0.0.127.one.bl.test")
	s.Connect(ctx, listed, discard).Rcpt()
	if srv.QueriesFor("2.0.0.127.one.bl.test") != n {
		t.Error("the second lookup of a listed client was not answered by the cache")
	}
}

// TestNoListsNoLookups: without lists there is no verdict and no query.
func TestNoListsNoLookups(t *testing.T) {
	srv, res := dnsServer(t)
	s := screen.New(screen.Config{}, res, nil)
	cl := s.Connect(ctx, listed, discard)
	if rf := cl.Rcpt(); rf != nil || cl.Screening() != nil || srv.Queries() != 0 {
		t.Fatalf("refusal %v, verdict %v, %d queries", rf, cl.Screening(), srv.Queries())
	}
}
