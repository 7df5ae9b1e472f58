package sqlite

import (
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// dirCacheMax bounds each map of dirCache; a full map is emptied.
const dirCacheMax = 10000

// dirCache keeps the directory answers that every delivery asks for, at
// RCPT and again at DATA: that a domain is ours, which account owns an
// address, an account's primary address and its quota limits (docs/benchmarks.md §SMTP
// intake profile (issue 21)). Each of those is a read transaction, and
// the first read on a connection after any commit reloads SQLite's page
// cache: 130 µs of CPU a message for answers that change only when an
// administrator changes the directory.
//
// Only positive answers are kept: a domain, account or address created
// by another process is found at once, never refused from the cache.
// The cache is emptied after every commit of an op that may change the
// directory (every op not marked op.keepsDir, writer.go) before that op's
// caller has its answer, and when the watcher sees another process's
// commit (watch.go): a deletion or a renaming made by the CLI reaches a
// running server within Options.WatchInterval. An answer read while the
// cache was emptied is not kept (gen).
type dirCache struct {
	mu      sync.Mutex
	gen     uint64 // raised by every flush
	domains map[string]struct{}
	addrs   map[string]store.AccountID
	names   map[store.AccountID]string
	quotas  map[store.AccountID][2]int64 // bytes, messages
}

// newDirCache returns a cache, or nil (no caching) when nothing would
// tell it about other processes' commits.
func newDirCache(watchInterval time.Duration) *dirCache {
	if watchInterval <= 0 {
		return nil
	}
	c := &dirCache{}
	c.reset()
	return c
}

func (c *dirCache) reset() {
	c.domains = make(map[string]struct{})
	c.addrs = make(map[string]store.AccountID)
	c.names = make(map[store.AccountID]string)
	c.quotas = make(map[store.AccountID][2]int64)
}

// flush empties the cache and makes the reads in progress unkeepable.
func (c *dirCache) flush() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	c.reset()
	c.mu.Unlock()
}

// generation is taken before a read whose answer may be kept.
func (c *dirCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *dirCache) hasDomain(domain string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	_, ok := c.domains[domain]
	c.mu.Unlock()
	return ok
}

func (c *dirCache) putDomain(gen uint64, domain string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		putBounded(c.domains, domain, struct{}{})
	}
}

func (c *dirCache) address(address string) (store.AccountID, bool) {
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	id, ok := c.addrs[address]
	c.mu.Unlock()
	return id, ok
}

func (c *dirCache) putAddress(gen uint64, address string, id store.AccountID) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		putBounded(c.addrs, address, id)
	}
}

func (c *dirCache) name(id store.AccountID) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	a, ok := c.names[id]
	c.mu.Unlock()
	return a, ok
}

func (c *dirCache) putName(gen uint64, id store.AccountID, address string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		putBounded(c.names, id, address)
	}
}

func (c *dirCache) limits(id store.AccountID) ([2]int64, bool) {
	if c == nil {
		return [2]int64{}, false
	}
	c.mu.Lock()
	l, ok := c.quotas[id]
	c.mu.Unlock()
	return l, ok
}

func (c *dirCache) putLimits(gen uint64, id store.AccountID, l [2]int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		putBounded(c.quotas, id, l)
	}
}

func putBounded[K comparable, V any](m map[K]V, k K, v V) {
	if len(m) >= dirCacheMax {
		clear(m)
	}
	m[k] = v
}
