package imapmsg

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// Match reports whether the candidate satisfies the key (RFC 9051 §6.4.4).
// Metadata and body are loaded only when a key needs them, at most once
// each, and the Blob is closed before Match returns. AND evaluates its
// cheapest keys first. The errors are those of Candidate.Meta and
// Candidate.Body and of reading the blob; malformed content never fails a
// search (it matches as well as it can be read).
func Match(k *SearchKey, c *Candidate) (bool, error) {
	m := &matcher{c: c}
	defer m.close()
	return m.match(k)
}

// NeedsMeta reports whether matching k needs Candidate.Meta: header,
// sent-date and text keys.
func NeedsMeta(k *SearchKey) bool {
	switch k.Kind {
	case Bcc, Cc, From, Subject, To, Header, SentBefore, SentOn, SentSince, Body, Text:
		return true
	}
	return anyChild(k, NeedsMeta)
}

// NeedsBody reports whether matching k needs Candidate.Body: BODY and
// TEXT.
func NeedsBody(k *SearchKey) bool {
	if k.Kind == Body || k.Kind == Text {
		return true
	}
	return anyChild(k, NeedsBody)
}

// NeedsDateOrSize reports whether matching k needs the internal date or
// the size of the message record: BEFORE, ON, SINCE, LARGER and SMALLER
// (and the record's EMAILID and THREADID). Without them (and without
// NeedsMeta), the UID, flags, keywords and MODSEQ of the record are
// enough.
func NeedsDateOrSize(k *SearchKey) bool {
	switch k.Kind {
	case Before, On, Since, Larger, Smaller, Older, Younger, SavedBefore, SavedOn, SavedSince:
		return true
	case EmailID, ThreadID:
		return true
	}
	return anyChild(k, NeedsDateOrSize)
}

func anyChild(k *SearchKey, f func(*SearchKey) bool) bool {
	for i := range k.Children {
		if f(&k.Children[i]) {
			return true
		}
	}
	return false
}

// matcher matches one candidate, holding what it loaded.
type matcher struct {
	c       *Candidate
	meta    *msgmeta.Meta
	metaErr error
	blob    store.Blob
	blobErr error
}

func (m *matcher) close() {
	if m.blob != nil {
		m.blob.Close()
	}
}

// getMeta loads the metadata once; without any (no Meta function, or
// nil), the message is searched as a body without structure.
func (m *matcher) getMeta() (*msgmeta.Meta, error) {
	if m.meta == nil && m.metaErr == nil {
		if m.c.Meta != nil {
			m.meta, m.metaErr = m.c.Meta()
		}
		if m.meta == nil && m.metaErr == nil {
			m.meta = bareMeta(m.c.Msg.Size)
		}
	}
	return m.meta, m.metaErr
}

func (m *matcher) getBlob() (store.Blob, error) {
	if m.blob == nil && m.blobErr == nil {
		if m.c.Body == nil {
			return nil, errors.New("imapmsg: no Body function for a BODY or TEXT search")
		}
		m.blob, m.blobErr = m.c.Body()
	}
	return m.blob, m.blobErr
}

func (m *matcher) match(k *SearchKey) (bool, error) {
	if ok, known := m.matchMessage(k); known {
		return ok, nil
	}
	switch k.Kind {
	case Not:
		if len(k.Children) == 0 {
			return false, nil
		}
		ok, err := m.match(&k.Children[0])
		return !ok && err == nil, err
	case Or:
		return m.or(k.Children)
	case And, Fuzzy:
		return m.and(k.Children)
	}
	return m.matchContent(k)
}

// or: OR takes two keys; more are read as a longer disjunction.
func (m *matcher) or(keys []SearchKey) (bool, error) {
	for i := range keys {
		if ok, err := m.match(&keys[i]); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// and: the cheapest keys go first (see cost), so that a message they
// reject is read no further.
func (m *matcher) and(keys []SearchKey) (bool, error) {
	for tier := range 3 {
		for i := range keys {
			if cost(&keys[i]) != tier {
				continue
			}
			if ok, err := m.match(&keys[i]); !ok || err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// cost ranks a key by what it reads: 0 the message record, 1 the
// metadata, 2 the body.
func cost(k *SearchKey) int {
	switch {
	case NeedsBody(k):
		return 2
	case NeedsMeta(k):
		return 1
	}
	return 0
}

// matchMessage matches the keys answered by the message record alone;
// known is false for the others.
func (m *matcher) matchMessage(k *SearchKey) (ok, known bool) {
	msg := &m.c.Msg
	if f, want, isFlag := flagKey(k.Kind); isFlag {
		return msg.Flags&f != 0 == want, true
	}
	switch k.Kind {
	case All:
		return true, true
	case New: // RFC 3501 §6.4.4: "equivalent to (RECENT UNSEEN)"
		return m.c.Recent && msg.Flags&store.FlagSeen == 0, true
	case Old:
		return !m.c.Recent, true
	case Recent:
		return m.c.Recent, true
	case Keyword, Unkeyword:
		return hasKeyword(msg, k.Text) == (k.Kind == Keyword), true
	case Before, On, Since:
		return compareDay(msg.InternalDate, k.Date, k.Kind), true
	case SavedBefore: // RFC 8514 §4.2: BEFORE, ON, SINCE on the save date
		return compareDay(msg.SaveDate, k.Date, Before), true
	case SavedOn:
		return compareDay(msg.SaveDate, k.Date, On), true
	case SavedSince:
		return compareDay(msg.SaveDate, k.Date, Since), true
	case Older: // RFC 5032 §3: internal date older than the interval
		return msg.InternalDate.Before(k.Date), true
	case Younger: // RFC 5032 §3: internal date within the interval
		return !msg.InternalDate.Before(k.Date), true
	case Larger: // RFC 9051 §6.4.4: RFC822.SIZE larger / smaller than n
		return msg.Size > k.Number, true
	case Smaller:
		return msg.Size < k.Number, true
	case UID, SeqSet:
		return inRanges(msg.UID, k.UIDs), true
	case SortedUIDs:
		return InSortedRanges(k.UIDs, msg.UID), true
	case ModSeq: // RFC 7162 §3.1.5: mod-sequence equal to or greater than n
		return k.Number >= 0 && msg.ModSeq >= store.ModSeq(k.Number), true
	case EmailID: // RFC 8474 §6: the message's EMAILID is the objectid
		return msg.EmailID > 0 && msg.EmailID.String() == k.Text, true
	case ThreadID:
		return msg.ThreadID > 0 && msg.ThreadID.String() == k.Text, true
	}
	return false, false
}

// flagKey maps the flag keys to the flag and whether it must be set.
func flagKey(kind SearchKind) (store.Flags, bool, bool) {
	switch kind {
	case Answered, Unanswered:
		return store.FlagAnswered, kind == Answered, true
	case Deleted, Undeleted:
		return store.FlagDeleted, kind == Deleted, true
	case Draft, Undraft:
		return store.FlagDraft, kind == Draft, true
	case Flagged, Unflagged:
		return store.FlagFlagged, kind == Flagged, true
	case Seen, Unseen:
		return store.FlagSeen, kind == Seen, true
	}
	return 0, false, false
}

// hasKeyword reports whether msg has the flag: keywords are compared
// without regard to case, as the store keeps them; a system flag given as
// a KEYWORD argument is looked up among the system flags.
func hasKeyword(msg *store.Message, name string) bool {
	if f, ok := store.SystemFlagNamed(name); ok {
		return msg.Flags&f != 0
	}
	for _, kw := range msg.Keywords {
		if strings.EqualFold(kw, name) {
			return true
		}
	}
	return false
}

// InSortedRanges reports whether uid is in one of rs, which ascend and
// are disjoint (SortedUIDs), by binary search.
func InSortedRanges(rs []UIDRange, uid store.UID) bool {
	i, found := slices.BinarySearchFunc(rs, uid, func(r UIDRange, u store.UID) int { return cmp.Compare(r.Hi, u) })
	return found || i < len(rs) && rs[i].Lo <= uid
}

// inRanges reports whether uid is in one of the ranges; a range whose Lo
// is above its Hi is empty.
func inRanges(uid store.UID, rs []UIDRange) bool {
	for _, r := range rs {
		if r.Lo <= uid && uid <= r.Hi {
			return true
		}
	}
	return false
}

// compareDay applies BEFORE, ON or SINCE (and their SENT forms) to the
// calendar date of t, "disregarding time and timezone" (RFC 9051 §6.4.4):
// each date is taken in its own zone, so a message sent at 23:30 -0500 on
// June 3 is ON 3-Jun whatever the zone of the server.
func compareDay(t, key time.Time, kind SearchKind) bool {
	d, k := civilDay(t), civilDay(key)
	switch kind {
	case Before, SentBefore:
		return d < k
	case On, SentOn:
		return d == k
	}
	return d >= k // SINCE: "within or later than the specified date"
}

func civilDay(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}
