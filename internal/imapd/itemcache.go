package imapd

import (
	"sync"

	"github.com/petrelmail/petrel/internal/store"
)

// itemCache keeps the encoded ENVELOPE, BODYSTRUCTURE, BODY and PREVIEW
// responses of the messages fetched lately, by mailbox and UID (the message of a
// UID never changes), within a byte budget. Like Dovecot's cache file,
// it spares a client that fetches them again (another device, a client
// that keeps no copy) the metadata read and decode; the first FETCH of a
// message reads them from the store as usual.
//
// It is two generations of maps: entries go into the young one; when
// that is full it becomes the old one and the oldest are dropped; an
// entry found in the old one moves back to the young one. That is about
// least-recently-used order without a list per entry.
type itemCache struct {
	mu          sync.Mutex
	young, old  map[itemKey][]byte
	youngBytes  int
	budget      int // bytes, both generations together
	hits, calls uint64
}

// itemKey names one encoded item of one message.
type itemKey struct {
	mb   store.MailboxID
	uid  store.UID
	item uint8 // cachedItems index
	utf8 bool  // encoded for UTF8=ACCEPT (no RFC 2047 downgrade)
}

// cachedItems are the items the cache keeps.
var cachedItems = [...]string{"ENVELOPE", "BODYSTRUCTURE", "BODY", "PREVIEW"}

// cachedItem returns the index of a cached item name, or -1.
func cachedItem(name string) int {
	for i, n := range cachedItems {
		if n == name {
			return i
		}
	}
	return -1
}

func newItemCache(budget int) *itemCache {
	return &itemCache{young: map[itemKey][]byte{}, old: map[itemKey][]byte{}, budget: budget}
}

// entryCost approximates the memory of an entry besides its bytes.
const entryCost = 64

func (c *itemCache) get(k itemKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if b, ok := c.young[k]; ok {
		c.hits++
		return b, true
	}
	b, ok := c.old[k]
	if ok {
		c.hits++
		delete(c.old, k)
		c.insert(k, b)
	}
	return b, ok
}

func (c *itemCache) put(k itemKey, b []byte) {
	if len(b)+entryCost > c.budget/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.young[k]; !ok {
		c.insert(k, b)
	}
}

// insert adds to the young generation, which becomes the old one when
// it holds half the budget. Called with c.mu held.
func (c *itemCache) insert(k itemKey, b []byte) {
	if c.youngBytes+len(b)+entryCost > c.budget/2 {
		c.old, c.young, c.youngBytes = c.young, map[itemKey][]byte{}, 0
	}
	c.young[k] = b
	c.youngBytes += len(b) + entryCost
}
