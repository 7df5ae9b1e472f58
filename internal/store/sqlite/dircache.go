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
// address, an account's primary address and its quota limits
// (docs/benchmarks.md §SMTP intake profile (issue 21)). Each of those is a read transaction, and
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
	on bool // false: nothing is kept (no watcher to tell of other processes)

	mu      sync.Mutex
	gen     uint64 // raised by every flush
	domains map[string]bool
	addrs   map[string]store.AccountID
	names   map[store.AccountID]string
	quotas  map[store.AccountID][2]int64 // bytes, messages
}

// newDirCache returns a cache that keeps nothing when nothing would tell
// it about other processes' commits (watchInterval <= 0).
func newDirCache(watchInterval time.Duration) *dirCache {
	return &dirCache{on: watchInterval > 0, domains: make(map[string]bool),
		addrs: make(map[string]store.AccountID), names: make(map[store.AccountID]string),
		quotas: make(map[store.AccountID][2]int64)}
}

// flush empties the cache and makes the reads in progress unkeepable.
func (c *dirCache) flush() {
	c.mu.Lock()
	c.gen++
	clear(c.domains)
	clear(c.addrs)
	clear(c.names)
	clear(c.quotas)
	c.mu.Unlock()
}

// readThrough answers k from m (one of c's maps), else runs read, which
// reports whether it found an answer; a found answer is kept unless the
// cache was flushed while read ran. A failed read returns read's value
// and error as they are.
func readThrough[K comparable, V any](c *dirCache, m map[K]V, k K, read func() (V, bool, error)) (V, error) {
	c.mu.Lock()
	v, ok := m[k]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, found, err := read()
	if err == nil && found && c.on {
		c.mu.Lock()
		if gen == c.gen {
			if len(m) >= dirCacheMax {
				clear(m)
			}
			m[k] = v
		}
		c.mu.Unlock()
	}
	return v, err
}
