package dnsr_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// clock is the cache's injected clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cached returns a dnstest server, a cached client on it with a clock of
// its own, and a context for the test.
func cached(t *testing.T) (*dnstest.Server, *dnsr.Client, *clock, context.Context) {
	t.Helper()
	s, _, ctx := setup(t)
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := dnsr.NewFromConfig(dnsr.Config{Servers: []string{s.Addr}, Timeout: time.Second, Cache: true, Now: clk.Now})
	return s, c, clk, ctx
}

// txt looks up name's TXT records, sorted, failing the test on an error.
func txt(t *testing.T, ctx context.Context, r dnsr.Resolver, name string) []string {
	t.Helper()
	got, err := r.LookupTXT(ctx, name)
	if err != nil {
		t.Fatalf("TXT %s: %v", name, err)
	}
	slices.Sort(got)
	return got
}

// A positive answer is served from the cache for the smallest TTL of its
// records, then asked again; the key ignores case and the trailing dot.
func TestCachePositive(t *testing.T) {
	s, c, clk, ctx := cached(t)
	s.Add(t, `example.org. 60 TXT "a"`, `example.org. 30 TXT "b"`)
	if got := txt(t, ctx, c, "example.org"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("TXT = %q", got)
	}
	s.Remove("example.org")
	s.Add(t, `example.org. 60 TXT "new"`)
	clk.advance(29 * time.Second)
	if got := txt(t, ctx, c, "EXAMPLE.org."); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("TXT from the cache = %q", got)
	}
	if n := s.QueriesFor("example.org"); n != 1 {
		t.Fatalf("%d queries before the TTL, want 1", n)
	}
	clk.advance(time.Second)
	if got := txt(t, ctx, c, "example.org"); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("TXT after the TTL = %q", got)
	}
	if n := s.QueriesFor("example.org"); n != 2 {
		t.Fatalf("%d queries after the TTL, want 2", n)
	}
}

// A long TTL is kept for an hour at most; a TTL of 0 is not kept.
func TestCacheTTLBounds(t *testing.T) {
	s, c, clk, ctx := cached(t)
	s.Add(t, "long.example. 86400 MX 10 mx.example.", "zero.example. 0 MX 10 mx.example.")
	for range 2 {
		if _, err := c.LookupMX(ctx, "long.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.LookupMX(ctx, "zero.example"); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := s.QueriesFor("long.example"), s.QueriesFor("zero.example"); a != 1 || b != 2 {
		t.Fatalf("queries: %d for TTL 86400 (want 1), %d for TTL 0 (want 2)", a, b)
	}
	clk.advance(time.Hour)
	if _, err := c.LookupMX(ctx, "long.example"); err != nil || s.QueriesFor("long.example") != 2 {
		t.Fatalf("kept past an hour: %v, %d queries", err, s.QueriesFor("long.example"))
	}
}

// NXDOMAIN and NODATA with the zone's SOA are kept for the lesser of its
// TTL and MINIMUM (RFC 2308 §5), and still carry the caller's name.
func TestCacheNegativeWithSOA(t *testing.T) {
	s, c, clk, ctx := cached(t)
	s.Add(t, "example.org. 3600 SOA ns.example.org. host.example.org. 1 7200 900 1209600 120",
		"short.example. 30 SOA ns.example. host.example. 1 7200 900 1209600 300",
		"a.example.org. A 192.0.2.1", "a.short.example. A 192.0.2.2")
	for _, tc := range []struct {
		name string
		kind dnsr.Kind
		ttl  time.Duration
	}{
		{"none.example.org", dnsr.NXDomain, 120 * time.Second},
		{"a.example.org", dnsr.NoData, 120 * time.Second},
		{"none.short.example", dnsr.NXDomain, 30 * time.Second},
		{"a.short.example", dnsr.NoData, 30 * time.Second},
	} {
		start := clk.Now()
		for _, name := range []string{tc.name, strings.ToUpper(tc.name)} {
			_, err := c.LookupTXT(ctx, name)
			var e *dnsr.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.Name != name {
				t.Fatalf("%s: err = %v", name, err)
			}
		}
		clk.advance(tc.ttl - time.Second)
		if _, err := c.LookupTXT(ctx, tc.name); dnsr.KindOf(err) != tc.kind || s.QueriesFor(tc.name) != 1 {
			t.Fatalf("%s: %v, %d queries within the TTL, want 1", tc.name, err, s.QueriesFor(tc.name))
		}
		clk.advance(time.Second)
		if _, _ = c.LookupTXT(ctx, tc.name); s.QueriesFor(tc.name) != 2 {
			t.Fatalf("%s: %d queries after %v, want 2", tc.name, s.QueriesFor(tc.name), clk.Now().Sub(start))
		}
	}
}

// Negative answers without an SOA record are not kept, nor are temporary
// failures (a timeout takes the same path as SERVFAIL: query.go).
func TestCacheNotKept(t *testing.T) {
	s, c, _, ctx := cached(t)
	s.Add(t, "a.example. A 192.0.2.1")
	s.ServFail("broken.example")
	for _, name := range []string{"none.example", "a.example", "broken.example"} {
		for range 2 {
			if _, err := c.LookupTXT(ctx, name); err == nil {
				t.Fatalf("%s: no error", name)
			}
		}
		if n := s.QueriesFor(name); n != 2 {
			t.Errorf("%s: %d queries for 2 lookups", name, n)
		}
	}
}

// Concurrent lookups of one question share one query.
func TestCacheSharesQueries(t *testing.T) {
	s, c, _, ctx := cached(t)
	s.Add(t, "example.org. MX 10 mx.example.org.")
	s.Delay("example.org", 200*time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			mxs, err := c.LookupMX(ctx, "example.org")
			if err == nil && (len(mxs) != 1 || mxs[0].Host != "mx.example.org.") {
				t.Errorf("MX = %v", mxs)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.QueriesFor("example.org"); n != 1 {
		t.Fatalf("%d queries for 20 concurrent lookups, want 1", n)
	}
}

// A caller that gives up does not fail the others waiting for the same
// answer, and the answer is still cached.
func TestCacheCallerGivesUp(t *testing.T) {
	s, c, _, ctx := cached(t)
	s.Add(t, `example.org. TXT "x"`)
	s.Delay("example.org", 200*time.Millisecond)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	done := make(chan []string)
	go func() { done <- txt(t, ctx, c, "example.org") }()
	if _, err := c.LookupTXT(short, "example.org"); !dnsr.IsTemporary(err) {
		t.Fatalf("short caller: %v", err)
	}
	if got := <-done; len(got) != 1 {
		t.Fatalf("patient caller: %q", got)
	}
	txt(t, ctx, c, "example.org")
	if n := s.QueriesFor("example.org"); n != 1 {
		t.Fatalf("%d queries, want 1", n)
	}
}

// The uncached resolver sees every change of the records.
func TestUncachedSeesChanges(t *testing.T) {
	s, r, ctx := setup(t)
	s.Add(t, `example.org. TXT "one"`)
	txt(t, ctx, r, "example.org")
	s.Remove("example.org")
	s.Add(t, `example.org. TXT "two"`)
	if got := txt(t, ctx, r, "example.org"); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("TXT = %q", got)
	}
	s.Remove("example.org")
	if _, err := r.LookupTXT(ctx, "example.org"); dnsr.KindOf(err) != dnsr.NXDomain {
		t.Fatalf("removed: %v", err)
	}
}
