package dnsr

import (
	"fmt"
	"testing"
	"time"
)

// The cache holds at most its bound; a full cache drops expired entries
// before live ones.
func TestCacheBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCache(100, func() time.Time { return now })
	for i := range 1000 {
		c.put(cacheKey{fmt.Sprintf("n%d.example.", i), 1}, answer{kind: NXDomain, ttl: time.Minute})
		if n := c.len(); n > 100 {
			t.Fatalf("%d entries after %d insertions, bound 100", n, i+1)
		}
	}

	c = newCache(10, func() time.Time { return now })
	for i := range 10 {
		ttl := time.Hour
		if i%2 == 0 {
			ttl = time.Second
		}
		c.put(cacheKey{fmt.Sprintf("n%d.example.", i), 1}, answer{kind: NXDomain, ttl: ttl})
	}
	now = now.Add(time.Minute)
	c.put(cacheKey{"new.example.", 1}, answer{kind: NXDomain, ttl: time.Hour})
	if n := c.len(); n != 6 {
		t.Fatalf("%d entries, want the 5 live ones and the new one", n)
	}
	for i := 1; i < 10; i += 2 {
		if _, ok := c.entries[cacheKey{fmt.Sprintf("n%d.example.", i), 1}]; !ok {
			t.Fatalf("live entry n%d dropped", i)
		}
	}
}

func TestDefaultCacheBound(t *testing.T) {
	if c := newCache(0, nil); c.max != DefaultCacheEntries || c.now == nil {
		t.Fatalf("max %d", c.max)
	}
}

func TestSameName(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"example.org.", "EXAMPLE.org.", true},
		{`alice@ms.example.`, `alice\@ms.example.`, true},
		{`a\.b.example.`, `a.b.example.`, false},
		{`\065.example.`, `a.example.`, true},
		{"example.org.", "example.com.", false},
		{"a.example.", "example.", false},
	} {
		if got := sameName(tc.a, tc.b); got != tc.want {
			t.Errorf("sameName(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
