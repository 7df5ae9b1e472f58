package dnsr

import (
	"context"
	"sync"
	"time"
)

// DefaultCacheEntries bounds a cache whose Config leaves it at 0.
const DefaultCacheEntries = 10000

// cache keeps answers for their time to live (query.go: answerOf) and
// lets concurrent lookups of one question share one query. Temporary
// failures are not kept (RFC 2308 §7.1 allows 5 minutes, but a lost
// packet would then fail every message for that long; sharing the query
// in flight already spares the servers a burst of the same question).
// It is safe for concurrent use.
type cache struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
	flights map[cacheKey]*flight
}

// cacheKey is a question: lower-case FQDN and type.
type cacheKey struct {
	name string
	t    uint16
}

type cacheEntry struct {
	a       answer
	expires time.Time
}

// flight is a query in progress; done is closed when a is set.
type flight struct {
	done chan struct{}
	a    answer
}

func newCache(max int, now func() time.Time) *cache {
	if max <= 0 {
		max = DefaultCacheEntries
	}
	if now == nil {
		now = time.Now
	}
	return &cache{now: now, max: max, entries: map[cacheKey]cacheEntry{}, flights: map[cacheKey]*flight{}}
}

// get returns the live cached answer to k, or joins the query in flight
// for k, or starts one with resolve. The query runs apart from ctx (it has
// its own timeout) so that a caller that gives up does not fail the
// others; the caller stops waiting when ctx ends.
func (c *cache) get(ctx context.Context, k cacheKey, resolve func(context.Context) answer) answer {
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		if c.now().Before(e.expires) {
			c.mu.Unlock()
			return e.a
		}
		delete(c.entries, k)
	}
	f, ok := c.flights[k]
	if !ok {
		f = &flight{done: make(chan struct{})}
		c.flights[k] = f
		go c.fly(context.WithoutCancel(ctx), k, f, resolve)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.a
	case <-ctx.Done():
		return answer{kind: Temporary, err: ctx.Err()}
	}
}

// fly runs the query of f and keeps its answer if it may be cached.
func (c *cache) fly(ctx context.Context, k cacheKey, f *flight, resolve func(context.Context) answer) {
	f.a = resolve(ctx)
	c.mu.Lock()
	delete(c.flights, k)
	if f.a.ttl > 0 {
		c.put(k, f.a)
	}
	c.mu.Unlock()
	close(f.done)
}

// put keeps a; c.mu is held. A full cache first drops its expired
// entries, then arbitrary ones (map order) until a tenth is free, so that
// the scan is paid once per max/10 insertions.
func (c *cache) put(k cacheKey, a answer) {
	if len(c.entries) >= c.max {
		now := c.now()
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max-c.max/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[k] = cacheEntry{a: a, expires: c.now().Add(a.ttl)}
}

// len returns the number of entries, live or not.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
