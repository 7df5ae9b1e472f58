package imapd

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/petrelmail/petrel/internal/store"
)

// indexCache keeps, per mailbox, the UID, flags, keywords and MODSEQ of
// every message, shared by the sessions of a server and brought up to
// date from the store's change log (ExpungedSince, ChangedSince and the
// messages above the last UID) instead of being read again: SELECT,
// FETCH of FLAGS and CHANGEDSINCE on a large mailbox then cost what
// changed, not what is there (a mailbox of 100,000 messages takes about
// 150 ms to read whole, 2.4 MB to keep).
//
// Mailboxes not used lately are dropped when the records of all exceed
// the budget; the one in use is always kept.
type indexCache struct {
	st     Store
	budget int

	mu    sync.Mutex
	boxes map[store.MailboxID]*boxIndex
	total int    // records in all boxes
	clock uint64 // for least recently used
}

// indexRec is one message in an index.
type indexRec struct {
	modseq store.ModSeq
	uid    store.UID
	kw     uint32 // index in kwsets; 0 is no keywords
	flags  store.Flags
}

// indexSnap is an index as of one refresh. Its slices are never changed
// in place, so a session can walk them without a lock.
type indexSnap struct {
	recs   []indexRec
	kwsets [][]string
	// uids are the records' UIDs, which the views of the sessions that
	// select the mailbox share until they change (see view.uids).
	uids []store.UID
	// firstUnseen is the index of the first record without \Seen, or -1;
	// usedKeywords are the keywords in use, sorted (SELECT's FLAGS).
	firstUnseen  int
	usedKeywords []string
}

// keywords returns a record's keywords (sorted, as the store keeps them).
func (s *indexSnap) keywords(r *indexRec) []string { return s.kwsets[r.kw] }

// find returns the record of uid, searching from recs[from:].
func (s *indexSnap) find(uid store.UID, from int) (int, bool) {
	i, ok := slices.BinarySearchFunc(s.recs[from:], uid, func(r indexRec, u store.UID) int {
		return int(int64(r.uid) - int64(u))
	})
	return from + i, ok
}

// message returns the record as a store.Message (without date, size and
// blob, which the index does not keep).
func (s *indexSnap) message(mb store.MailboxID, r *indexRec) store.Message {
	return store.Message{Mailbox: mb, UID: r.uid, ModSeq: r.modseq, Flags: r.flags, Keywords: s.keywords(r)}
}

// boxIndex is the index of one mailbox.
type boxIndex struct {
	mu      sync.Mutex
	loaded  bool
	modseq  store.ModSeq // every change up to here is in
	uidNext store.UID    // every message below is in
	snap    indexSnap
	kwIndex map[string]uint32 // kwsets by their joined names
	used    uint64            // cache clock of the last use
}

func newIndexCache(st Store, budget int) *indexCache {
	return &indexCache{st: st, budget: budget, boxes: map[store.MailboxID]*boxIndex{}}
}

// get returns the index of mb brought up to date with mb, a mailbox row
// the caller has just read: the snapshot has every change mb has (and
// maybe later ones).
func (c *indexCache) get(ctx context.Context, mb store.Mailbox) (*indexSnap, error) {
	c.mu.Lock()
	b := c.boxes[mb.ID]
	if b == nil {
		b = &boxIndex{kwIndex: map[string]uint32{"": 0}, snap: indexSnap{kwsets: [][]string{nil}}}
		c.boxes[mb.ID] = b
	}
	c.clock++
	b.used = c.clock
	c.mu.Unlock()

	b.mu.Lock()
	before := len(b.snap.recs)
	err := b.refresh(ctx, c.st, mb)
	snap := b.snap
	after := len(b.snap.recs)
	b.mu.Unlock()
	if err != nil {
		c.drop(mb.ID, b)
		return nil, err
	}
	c.mu.Lock()
	if c.boxes[mb.ID] == b {
		c.total += after - before
	}
	c.evict(mb.ID)
	c.mu.Unlock()
	return &snap, nil
}

// drop forgets a box (after a failed refresh, which may have left it half
// updated).
func (c *indexCache) drop(id store.MailboxID, b *boxIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.boxes[id] == b {
		b.mu.Lock()
		c.total -= len(b.snap.recs)
		b.mu.Unlock()
		delete(c.boxes, id)
	}
}

// evict drops the least recently used boxes other than keep while the
// records exceed the budget. Called with c.mu held.
func (c *indexCache) evict(keep store.MailboxID) {
	for c.total > c.budget && len(c.boxes) > 1 {
		var oldest store.MailboxID
		var ob *boxIndex
		for id, b := range c.boxes {
			if id != keep && (ob == nil || b.used < ob.used) {
				oldest, ob = id, b
			}
		}
		if ob == nil {
			return
		}
		// A box being refreshed holds its lock; its size is counted when
		// the refresh ends, against the map it is then no longer in.
		if !ob.mu.TryLock() {
			return
		}
		c.total -= len(ob.snap.recs)
		ob.mu.Unlock()
		delete(c.boxes, oldest)
	}
}

// refresh brings the index up to mb's state. Called with b.mu held.
func (b *boxIndex) refresh(ctx context.Context, st Store, mb store.Mailbox) error {
	if !b.loaded {
		msgs, err := st.Messages(ctx, mb.ID, 1, 0)
		if err != nil {
			return err
		}
		recs := make([]indexRec, 0, len(msgs)+len(msgs)/8)
		uids := make([]store.UID, 0, cap(recs))
		for i := range msgs {
			recs = append(recs, b.rec(&msgs[i]))
			uids = append(uids, msgs[i].UID)
		}
		b.snap.recs, b.snap.uids = recs, uids
		b.loaded, b.modseq, b.uidNext = true, mb.HighestModSeq, b.nextUID(mb)
		b.derive()
		return nil
	}
	if mb.HighestModSeq <= b.modseq && mb.UIDNext <= b.uidNext {
		return nil
	}
	gone, err := st.ExpungedSince(ctx, mb.ID, b.modseq)
	if err != nil {
		return err
	}
	changed, err := st.ChangedSince(ctx, mb.ID, b.modseq)
	if err != nil {
		return err
	}
	added, err := st.Messages(ctx, mb.ID, b.uidNext, 0)
	if err != nil {
		return err
	}
	b.apply(gone, changed, added)
	b.modseq, b.uidNext = max(b.modseq, mb.HighestModSeq), max(b.uidNext, b.nextUID(mb))
	b.derive()
	return nil
}

// derive computes what SELECT tells of the records: the first unseen
// message and the keywords in use.
func (b *boxIndex) derive() {
	sn := &b.snap
	sn.firstUnseen = -1
	used := make([]bool, len(sn.kwsets))
	for i := range sn.recs {
		r := &sn.recs[i]
		if sn.firstUnseen < 0 && r.flags&store.FlagSeen == 0 {
			sn.firstUnseen = i
		}
		used[r.kw] = true
	}
	set := map[string]bool{}
	for k, u := range used {
		if u {
			for _, kw := range sn.kwsets[k] {
				set[kw] = true
			}
		}
	}
	sn.usedKeywords = make([]string, 0, len(set))
	for kw := range set {
		sn.usedKeywords = append(sn.usedKeywords, kw)
	}
	slices.Sort(sn.usedKeywords)
}

// nextUID: every message the index has, and every one mb counts, is below.
func (b *boxIndex) nextUID(mb store.Mailbox) store.UID {
	n := mb.UIDNext
	if len(b.snap.recs) > 0 {
		n = max(n, b.snap.recs[len(b.snap.recs)-1].uid+1)
	}
	return n
}

// apply takes in expunges, flag changes and new messages. Each may repeat
// what the index has already (a refresh can see changes newer than the
// mailbox row it was asked for): applying them again changes nothing.
func (b *boxIndex) apply(gone []store.UID, changed, added []store.Message) {
	recs, uids := b.snap.recs, b.snap.uids
	var last store.UID
	if len(recs) > 0 {
		last = recs[len(recs)-1].uid
	}
	var updates []store.Message
	for _, m := range changed {
		if m.UID <= last {
			updates = append(updates, m)
		}
	}
	if len(gone) > 0 || len(updates) > 0 {
		// New arrays: snapshots handed out keep the old ones.
		next := make([]indexRec, 0, len(recs)+len(added)+len(recs)/8)
		nextUIDs := make([]store.UID, 0, cap(next))
		g, u := 0, 0
		for _, r := range recs {
			for g < len(gone) && gone[g] < r.uid {
				g++
			}
			if g < len(gone) && gone[g] == r.uid {
				continue
			}
			for u < len(updates) && updates[u].UID < r.uid {
				u++
			}
			if u < len(updates) && updates[u].UID == r.uid {
				r = b.rec(&updates[u])
			}
			next = append(next, r)
			nextUIDs = append(nextUIDs, r.uid)
		}
		recs, uids = next, nextUIDs
	}
	// New messages are in both lists (ChangedSince sees them too):
	// merged by UID, the later read (added) wins. Appending past the
	// length of a handed-out slice leaves what its holders see unchanged.
	var fresh []store.Message
	for _, list := range [][]store.Message{changed, added} {
		for _, m := range list {
			if m.UID > last {
				fresh = append(fresh, m)
			}
		}
	}
	slices.SortStableFunc(fresh, func(x, y store.Message) int { return cmp.Compare(x.UID, y.UID) })
	for i := range fresh {
		if i+1 < len(fresh) && fresh[i+1].UID == fresh[i].UID {
			continue
		}
		recs = append(recs, b.rec(&fresh[i]))
		uids = append(uids, fresh[i].UID)
	}
	b.snap.recs, b.snap.uids = recs, uids
}

// rec makes a record, interning the message's keyword set.
func (b *boxIndex) rec(m *store.Message) indexRec {
	r := indexRec{modseq: m.ModSeq, uid: m.UID, flags: m.Flags}
	if len(m.Keywords) == 0 {
		return r
	}
	key := strings.Join(m.Keywords, " ")
	k, ok := b.kwIndex[key]
	if !ok {
		k = uint32(len(b.snap.kwsets))
		b.kwIndex[key] = k
		b.snap.kwsets = append(b.snap.kwsets, m.Keywords)
	}
	r.kw = k
	return r
}
