package imapd

import (
	"sync"

	"github.com/petrelmail/petrel/internal/imapsort"
	"github.com/petrelmail/petrel/internal/store"
)

// sortCacheBytes bounds the sort keys the server keeps (README "IMAP":
// SORT and THREAD).
const sortCacheBytes = 64 << 20

// sortCache keeps the sort keys (imapsort.Msg, all of them) of the
// messages of the mailboxes sorted or threaded lately, so that a SORT or
// THREAD after the first reads no metadata: the keys of a UID never
// change. Whole mailboxes are dropped, least recently used first, to stay
// within the budget; the key includes UIDVALIDITY, so a mailbox deleted
// and created again under the same id starts afresh.
type sortCache struct {
	mu     sync.Mutex
	budget int
	used   int
	tick   uint64
	boxes  map[sortBoxKey]*sortBox
}

type sortBoxKey struct {
	mb          store.MailboxID
	uidValidity uint32
}

type sortBox struct {
	recs     map[store.UID]imapsort.Msg
	bytes    int
	lastUsed uint64
}

func newSortCache(budget int) *sortCache {
	return &sortCache{budget: budget, boxes: map[sortBoxKey]*sortBox{}}
}

// recBytes approximates the memory of one record.
func recBytes(m *imapsort.Msg) int {
	n := 160 + len(m.Base) + len(m.MessageID)
	for _, s := range m.Str {
		n += len(s)
	}
	for _, r := range m.Refs {
		n += 16 + len(r)
	}
	return n
}

// lookup fills msgs[i] for each uids[i] it holds (with the references
// when refs) and returns the positions it does not.
func (c *sortCache) lookup(k sortBoxKey, uids []store.UID, msgs []imapsort.Msg, refs bool) (misses []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	b := c.boxes[k]
	if b != nil {
		b.lastUsed = c.tick
	}
	for i, u := range uids {
		if b != nil {
			if m, ok := b.recs[u]; ok && (!refs || m.HasRefs) {
				idx := msgs[i].Index
				msgs[i] = m
				msgs[i].Index = idx
				continue
			}
		}
		misses = append(misses, i)
	}
	return misses
}

// add keeps records, dropping the least recently used mailboxes when
// over budget.
func (c *sortCache) add(k sortBoxKey, uids []store.UID, msgs []imapsort.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[k]
	if b == nil {
		b = &sortBox{recs: make(map[store.UID]imapsort.Msg, len(uids))}
		c.boxes[k] = b
	}
	c.tick++
	b.lastUsed = c.tick
	for i, u := range uids {
		if old, ok := b.recs[u]; ok {
			n := recBytes(&old)
			b.bytes -= n
			c.used -= n
		}
		n := recBytes(&msgs[i])
		b.recs[u] = msgs[i]
		b.bytes += n
		c.used += n
	}
	for c.used > c.budget {
		var lru sortBoxKey
		var oldest *sortBox
		for key, box := range c.boxes {
			if oldest == nil || box.lastUsed < oldest.lastUsed {
				lru, oldest = key, box
			}
		}
		c.used -= oldest.bytes
		delete(c.boxes, lru)
	}
}
