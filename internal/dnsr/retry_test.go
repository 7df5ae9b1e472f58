package dnsr_test

import (
	"context"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// A lost UDP query is sent again after a second, well before the lookup's
// 5 s timeout.
func TestRetransmitLostQuery(t *testing.T) {
	t.Parallel()
	s, _, ctx := setup(t)
	s.Add(t, "example.org. MX 10 mx.example.org.")
	s.DropUDP("example.org", 1)
	r := dnsr.New([]string{s.Addr}, 5*time.Second)
	start := time.Now()
	mxs, err := r.LookupMX(ctx, "example.org")
	if err != nil || len(mxs) != 1 {
		t.Fatalf("MX = %v %v", mxs, err)
	}
	if n := s.QueriesFor("example.org"); n != 2 {
		t.Fatalf("%d queries, want 2 (one lost, one sent again)", n)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("answered after %v", d)
	}
}

// Each retransmission goes to the next server.
func TestRetransmitNextServer(t *testing.T) {
	t.Parallel()
	good, _, ctx := setup(t)
	good.Add(t, "example.org. TXT \"x\"")
	mute := dnstest.Start(t)
	mute.Silent("example.org")
	r := dnsr.New([]string{mute.Addr, good.Addr}, 5*time.Second)
	if got, err := r.LookupTXT(ctx, "example.org"); err != nil || len(got) != 1 {
		t.Fatalf("TXT = %q %v", got, err)
	}
	if a, b := mute.QueriesFor("example.org"), good.QueriesFor("example.org"); a != 1 || b != 1 {
		t.Fatalf("queries: %d to the silent server, %d to the other; want 1 and 1", a, b)
	}
}

// The answer to an earlier send is taken when it comes after the question
// was sent again: with answers 1.5 s late and a 2 s timeout, only the
// first send's can arrive in time.
func TestLateAnswerTaken(t *testing.T) {
	t.Parallel()
	s, _, ctx := setup(t)
	s.Add(t, "slow.example. TXT \"late\"")
	s.Delay("slow.example", 1500*time.Millisecond)
	r := dnsr.New([]string{s.Addr}, 2*time.Second)
	if got, err := r.LookupTXT(ctx, "slow.example"); err != nil || len(got) != 1 || got[0] != "late" {
		t.Fatalf("TXT = %q %v", got, err)
	}
	if n := s.QueriesFor("slow.example"); n != 2 {
		t.Fatalf("%d queries, want 2", n)
	}
}

// Giving up: without answers, the question is sent at 0 and 1 s, then
// the lookup fails at its 2.5 s timeout (before the third send, at 3 s;
// the margin lets the second send reach the server on a loaded machine);
// a failure answer (SERVFAIL) from the only server ends it at once,
// without retransmission. Both are temporary failures.
func TestGivingUp(t *testing.T) {
	t.Parallel()
	s, _, ctx := setup(t)
	s.Silent("gone.example")
	s.ServFail("broken.example")
	r := dnsr.New([]string{s.Addr}, 2500*time.Millisecond)
	for _, tc := range []struct {
		name     string
		queries  int
		min, max time.Duration
	}{
		{"gone.example", 2, 2400 * time.Millisecond, 4 * time.Second},
		{"broken.example", 1, 0, time.Second},
	} {
		start := time.Now()
		_, err := r.LookupTXT(ctx, tc.name)
		d := time.Since(start)
		if !dnsr.IsTemporary(err) || d < tc.min || d > tc.max {
			t.Errorf("%s: %v after %v, want a temporary failure after %v-%v", tc.name, err, d, tc.min, tc.max)
		}
		if n := s.QueriesFor(tc.name); n != tc.queries {
			t.Errorf("%s: %d queries, want %d", tc.name, n, tc.queries)
		}
	}
}

// Cancelling the context ends a lookup at once, cached or not.
func TestCancelEndsLookup(t *testing.T) {
	t.Parallel()
	s, _, _ := setup(t)
	s.Silent("slow.example")
	for _, cached := range []bool{false, true} {
		r := dnsr.NewFromConfig(dnsr.Config{Servers: []string{s.Addr}, Timeout: 10 * time.Second, Cache: cached})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := r.LookupMX(ctx, "slow.example")
		if d := time.Since(start); !dnsr.IsTemporary(err) || d > 2*time.Second {
			t.Fatalf("cached %v: %v after %v", cached, err, d)
		}
	}
}
