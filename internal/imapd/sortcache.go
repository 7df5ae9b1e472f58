package imapd

import (
	"errors"
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
	// split: reads of at least this many messages are split
	// (readSortKeys); sortSplitMin but in tests.
	split int
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
	return &sortCache{budget: budget, boxes: map[sortBoxKey]*sortBox{}, split: sortSplitMin}
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

// sortKeys returns the sort keys of the messages of uids (ascending),
// from the server's sort cache or, for those it lacks, a bulk read of
// their metadata, and the UIDs they are of (those expunged meanwhile
// left out). Index is the mailbox order. The read takes the header
// fields too and fills every key, REFERENCES' included, whatever this
// command needs: a client that sorts a mailbox threads it as well, and
// the read, not the keys, is the cost (docs/benchmarks.md §SORT and
// THREAD).
func (s *session) sortKeys(uids []store.UID, refs bool) ([]imapsort.Msg, []store.UID, error) {
	key := sortBoxKey{s.v.mb.ID, s.v.mb.UIDValidity}
	msgs := make([]imapsort.Msg, len(uids))
	for i := range msgs {
		msgs[i].Index = i
	}
	misses := s.srv.sorts.lookup(key, uids, msgs, refs)
	if len(misses) == 0 {
		return msgs, uids, nil
	}
	missUIDs := make([]store.UID, len(misses))
	for j, i := range misses {
		missUIDs[j] = uids[i]
	}
	found, err := s.readSortKeys(missUIDs, misses, msgs)
	if err != nil {
		return nil, nil, err
	}
	var gone bool
	newUIDs, newMsgs := make([]store.UID, 0, len(misses)), make([]imapsort.Msg, 0, len(misses))
	for j, i := range misses {
		if found[j] {
			newUIDs, newMsgs = append(newUIDs, uids[i]), append(newMsgs, msgs[i])
		} else {
			gone = true
		}
	}
	s.srv.sorts.add(key, newUIDs, newMsgs)
	if !gone {
		return msgs, uids, nil
	}
	// Expunged meanwhile: drop them; Index keeps the mailbox order.
	missed := map[int]bool{}
	for j, i := range misses {
		if !found[j] {
			missed[i] = true
		}
	}
	keptMsgs, keptUIDs := msgs[:0], make([]store.UID, 0, len(uids))
	for i := range msgs {
		if !missed[i] {
			keptMsgs, keptUIDs = append(keptMsgs, msgs[i]), append(keptUIDs, uids[i])
		}
	}
	return keptMsgs, keptUIDs, nil
}

// Reads of more than sortSplitMin messages are split in sortReaders
// parts read at once (the store's read pools serve several readers; the
// decoding takes as long as the read).
const (
	sortSplitMin = 8192
	sortReaders  = 2
)

// readSortKeys reads the keys of the messages missUIDs (ascending) into
// msgs[misses[j]] and reports which it found.
func (s *session) readSortKeys(missUIDs []store.UID, misses []int, msgs []imapsort.Msg) ([]bool, error) {
	found := make([]bool, len(misses))
	parts := 1
	if len(missUIDs) >= s.srv.sorts.split {
		parts = sortReaders
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(missUIDs)/parts, (p+1)*len(missUIDs)/parts
		wg.Go(func() {
			j := lo
			errs[p] = s.srv.st.ReadMessages(s.ctx, s.v.mb.ID, missUIDs[lo:hi], store.ReadHeaders, func(d *store.MessageData) error {
				for j < hi && missUIDs[j] < d.UID {
					j++
				}
				if j < hi && missUIDs[j] == d.UID {
					i := misses[j]
					msgs[i] = imapsort.NewMsg(i, d.Meta, d.InternalDate, d.Size, imapsort.Need{All: true, Refs: true})
					found[j] = true
				}
				return nil
			})
		})
	}
	wg.Wait()
	return found, errors.Join(errs...)
}
