package imapd

import (
	"errors"
	"slices"
	"sort"
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

// sortBox holds the records of one mailbox by ascending UID (a lookup
// walks them with the asked UIDs, which also ascend) and, per string
// key, their ranks (imapsort.Ranking), computed when a SORT first needs
// them, extended by new mail (records above the highest UID) and dropped
// when records are added below it: a rank among a mailbox's messages
// orders any of its subsets (imapsort.SortRanked).
type sortBox struct {
	uids     []store.UID
	recs     []imapsort.Msg
	ranks    map[imapsort.Key]*imapsort.Ranking
	bytes    int
	lastUsed uint64
}

func newSortCache(budget int) *sortCache {
	return &sortCache{budget: budget, boxes: map[sortBoxKey]*sortBox{}, split: sortSplitMin}
}

// recBytes approximates the memory of one record (its ranks included).
func recBytes(m *imapsort.Msg) int {
	n := 200 + len(m.Base) + len(m.MessageID)
	for _, s := range m.Str {
		n += len(s)
	}
	for _, r := range m.Refs {
		n += 16 + len(r)
	}
	return n
}

// lookup fills msgs[i] for each uids[i] (ascending) it holds (with the
// references when refs) and returns the positions it does not.
func (c *sortCache) lookup(k sortBoxKey, uids []store.UID, msgs []imapsort.Msg, refs bool) (misses []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	b := c.boxes[k]
	if b == nil {
		b = &sortBox{}
	}
	b.lastUsed = c.tick
	j := 0
	for i, u := range uids {
		j = seekUID(b.uids, j, u)
		if j < len(b.uids) && b.uids[j] == u && (!refs || b.recs[j].HasRefs) {
			idx := msgs[i].Index
			msgs[i] = b.recs[j]
			msgs[i].Index = idx
			continue
		}
		misses = append(misses, i)
	}
	return misses
}

// seekUID is the first position from j of a UID of us (ascending) at
// least u: the next one or two in a walk of a whole mailbox, else a
// binary search.
func seekUID(us []store.UID, j int, u store.UID) int {
	for k := j; k < j+2 && k < len(us); k++ {
		if us[k] >= u {
			return k
		}
	}
	return j + sort.Search(len(us)-j, func(x int) bool { return us[j+x] >= u })
}

// add keeps records (uids ascending), dropping the least recently used
// mailboxes when over budget.
func (c *sortCache) add(k sortBoxKey, uids []store.UID, msgs []imapsort.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[k]
	if b == nil {
		b = &sortBox{}
		c.boxes[k] = b
	}
	c.tick++
	b.lastUsed = c.tick
	c.used -= b.bytes
	appended := len(b.uids) == 0 || len(uids) > 0 && uids[0] > b.uids[len(b.uids)-1]
	b.uids, b.recs = mergeRecs(b.uids, b.recs, uids, msgs)
	for _, r := range b.ranks {
		if appended {
			r.Extend(msgs)
		}
	}
	if !appended {
		b.ranks = nil
	}
	b.bytes = 0
	for i := range b.recs {
		b.bytes += recBytes(&b.recs[i])
	}
	c.used += b.bytes
	c.evict()
}

// mergeRecs merges two UID-ascending record lists, the new one's record
// kept for a UID in both.
func mergeRecs(oldU []store.UID, oldR []imapsort.Msg, newU []store.UID, newR []imapsort.Msg) ([]store.UID, []imapsort.Msg) {
	if len(oldU) == 0 || len(newU) > 0 && newU[0] > oldU[len(oldU)-1] {
		return append(oldU, newU...), append(oldR, newR...)
	}
	u := make([]store.UID, 0, len(oldU)+len(newU))
	r := make([]imapsort.Msg, 0, len(oldU)+len(newU))
	i, j := 0, 0
	for i < len(oldU) || j < len(newU) {
		switch {
		case j == len(newU) || i < len(oldU) && oldU[i] < newU[j]:
			u, r = append(u, oldU[i]), append(r, oldR[i])
			i++
		default:
			if i < len(oldU) && oldU[i] == newU[j] {
				i++
			}
			u, r = append(u, newU[j]), append(r, newR[j])
			j++
		}
	}
	return u, r
}

// evict drops the least recently used mailboxes while over budget.
func (c *sortCache) evict() {
	for c.used > c.budget && len(c.boxes) > 0 {
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

// ranks returns the ranks of string key key for the messages uids
// (ascending) from the mailbox's records, ranking the whole mailbox
// once; nil when the cache does not hold all of uids.
func (c *sortCache) ranks(k sortBoxKey, key imapsort.Key, uids []store.UID) []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[k]
	if b == nil {
		return nil
	}
	r, shared := b.ranksOf(key, uids)
	if shared { // read after the lock is released
		r = slices.Clone(r)
	}
	return r
}

// rankOrder is the order of SORT by the one string criterion cr of the
// messages uids (ascending), from their cached ranks alone, no record
// copied: nil when the cache does not hold all of uids.
func (c *sortCache) rankOrder(k sortBoxKey, cr imapsort.Criterion, uids []store.UID) []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[k]
	if b == nil || len(uids) == 0 {
		return nil
	}
	c.tick++
	b.lastUsed = c.tick
	ranks, _ := b.ranksOf(cr.Key, uids)
	if ranks == nil {
		return nil
	}
	// Under the lock: new mail may rank Of again (Ranking.Extend).
	return imapsort.ByRanks(ranks, cr.Reverse)
}

// ranksOf is ranks' work under the lock: the whole mailbox's ranks
// themselves (shared) when uids are all of its records, no copy.
func (b *sortBox) ranksOf(key imapsort.Key, uids []store.UID) (ranks []int32, shared bool) {
	r := b.ranks[key]
	if r == nil {
		r = imapsort.NewRanking(b.recs, key)
		if b.ranks == nil {
			b.ranks = map[imapsort.Key]*imapsort.Ranking{}
		}
		b.ranks[key] = r
	}
	all := r.Of
	if slices.Equal(uids, b.uids) {
		return all, true
	}
	out := make([]int32, len(uids))
	j := 0
	for i, u := range uids {
		j = seekUID(b.uids, j, u)
		if j == len(b.uids) || b.uids[j] != u {
			return nil, false
		}
		out[i] = all[j]
	}
	return out, false
}

// sortOrder orders msgs (of uids) by crit, with the ranks of the string
// keys from the sort cache.
func (s *session) sortOrder(msgs []imapsort.Msg, uids []store.UID, crit []imapsort.Criterion) []int32 {
	key := sortBoxKey{s.v.mb.ID, s.v.mb.UIDValidity}
	return imapsort.SortRanked(msgs, crit, func(k imapsort.Key) []int32 { return s.srv.sorts.ranks(key, k, uids) })
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
