package mailimport

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// uidSink imports with the source's UIDs (store.Importer): a UID the
// mailbox holds already is skipped, so a run again adds only the rest.
type uidSink struct {
	im      *importer
	mailbox store.MailboxID
	modseq  store.ModSeq
}

func (im *importer) uidSink(ctx context.Context, f Folder, mb store.Mailbox, exists bool) (sink, error) {
	use := mb.SpecialUse
	if !exists {
		var err error
		if use, err = im.freeUse(ctx, f); err != nil {
			return nil, err
		}
	}
	// The store must never hand out this UIDVALIDITY again (a mailbox
	// created later), like a store copy's (store.Counters).
	if err := im.st.ImportCounters(ctx, store.Counters{UIDValidity: f.UIDValidity}); err != nil {
		return nil, err
	}
	mb, err := im.st.ImportMailbox(ctx, im.account, store.Mailbox{Name: f.Name, UIDValidity: f.UIDValidity,
		UIDNext: store.UID(max(f.NextUID, 1)), HighestModSeq: max(mb.HighestModSeq, 1), SpecialUse: use})
	if err != nil {
		return nil, err
	}
	im.rep.KeptUIDs++
	return &uidSink{im: im, mailbox: mb.ID, modseq: mb.HighestModSeq + 1}, nil
}

func (s *uidSink) write(ctx context.Context, msgs []*pending) (added, present int, err error) {
	lo, hi := store.UID(msgs[0].UID), store.UID(msgs[0].UID)
	for _, m := range msgs {
		lo, hi = min(lo, store.UID(m.UID)), max(hi, store.UID(m.UID))
	}
	have, err := s.im.st.Messages(ctx, s.mailbox, lo, hi)
	if err != nil {
		return 0, 0, err
	}
	seen := make(map[uint32]bool, len(have)+len(msgs))
	for _, m := range have {
		seen[uint32(m.UID)] = true
	}
	var todo []*pending
	for _, m := range msgs {
		if seen[m.UID] {
			m.target = store.UID(m.UID)
			present++
			continue
		}
		seen[m.UID] = true // a UID listed twice by the source: the first file wins
		todo = append(todo, m)
	}
	todo, qerr := s.im.fits(todo)
	if len(todo) == 0 {
		return 0, present, qerr
	}
	// The IDs come from the store, which hands none out twice, also with
	// a server delivering meanwhile; a kill before the messages are
	// stored wastes them.
	ids, err := s.im.st.ReserveEmailIDs(ctx, len(todo))
	if err != nil {
		return 0, present, err
	}
	batch := make([]store.ImportMessage, len(todo))
	for i, m := range todo {
		batch[i] = store.ImportMessage{UID: store.UID(m.UID), ModSeq: s.modseq, Flags: m.Flags,
			Keywords: s.im.keywords(m), InternalDate: m.Date, EmailID: ids[i],
			Body: bodyReader(m.Body), Meta: m.meta}
	}
	res, err := s.im.st.ImportMessages(ctx, s.im.account, s.mailbox, batch)
	if err != nil {
		return 0, present, err
	}
	for _, m := range todo {
		m.target = store.UID(m.UID)
	}
	s.modseq++
	return res.Added, present + res.Present, qerr
}

// appendSink imports with new UIDs (AppendBatch), skipping the messages
// the mailbox holds already by Message-ID, size and INTERNALDATE.
type appendSink struct {
	im      *importer
	mailbox store.MailboxID
	have    dupIndex // the mailbox's messages not matched yet
}

func (im *importer) appendSink(ctx context.Context, mb store.Mailbox) (sink, error) {
	return im.appendSinkExcept(ctx, mb, nil)
}

// dupPage is how many messages of the mailbox the duplicate index reads
// at a time.
const dupPage = 5000

// appendSinkExcept is appendSink whose duplicate check leaves out the
// messages that mapped reports (those an earlier run matched already).
func (im *importer) appendSinkExcept(ctx context.Context, mb store.Mailbox, mapped func(store.UID) bool) (*appendSink, error) {
	s := &appendSink{im: im, mailbox: mb.ID}
	var after store.UID
	for {
		page, err := im.st.ListMessages(ctx, mb.ID, after, dupPage)
		if err != nil {
			return nil, err
		}
		uids := make([]store.UID, 0, len(page))
		for _, m := range page {
			if mapped == nil || !mapped(m.UID) {
				uids = append(uids, m.UID)
			}
		}
		if len(uids) > 0 {
			if err := im.st.ReadMessages(ctx, mb.ID, uids, 0, func(d *store.MessageData) error {
				s.have.add(dupKey(d.Meta.Envelope.MessageID, d.Size, d.InternalDate.Unix()), d.UID)
				return nil
			}); err != nil {
				return nil, err
			}
		}
		if len(page) < dupPage {
			break
		}
		after = page[len(page)-1].UID
	}
	s.have.sort()
	return s, nil
}

// dupKey is the duplicate check of a message without the source's UID:
// 96 bits of the SHA-256 of its Message-ID, size and INTERNALDATE (two
// different messages share them with a probability under 10^-16 in a
// mailbox of a million, against a source of a million).
func dupKey(messageID string, size, date int64) [12]byte {
	h := sha256.Sum256([]byte(messageID + "\x00" + strconv.FormatInt(size, 10) + "\x00" + strconv.FormatInt(date, 10)))
	return [12]byte(h[:12])
}

// dupIndex holds the duplicate keys of a mailbox's messages, 16 bytes a
// message, sorted: a re-run into a mailbox of a million messages holds
// 16 MB, not a map of strings (README "Migrating to Petrel").
type dupIndex []dupEntry

type dupEntry struct {
	key [12]byte
	uid store.UID // 0 once matched
}

func (d *dupIndex) add(key [12]byte, uid store.UID) { *d = append(*d, dupEntry{key, uid}) }

func (d dupIndex) sort() {
	slices.SortFunc(d, func(a, b dupEntry) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.uid, b.uid)
	})
}

// match returns the lowest UID with key not matched yet and marks it
// matched; 0 when none is left.
func (d dupIndex) match(key [12]byte) store.UID {
	i, _ := slices.BinarySearchFunc(d, key, func(e dupEntry, k [12]byte) int { return bytes.Compare(e.key[:], k[:]) })
	for ; i < len(d) && d[i].key == key; i++ {
		if u := d[i].uid; u != 0 {
			d[i].uid = 0
			return u
		}
	}
	return 0
}

func (s *appendSink) write(ctx context.Context, msgs []*pending) (added, present int, err error) {
	var todo []*pending
	for _, m := range msgs {
		if u := s.have.match(dupKey(m.meta.Envelope.MessageID, int64(len(m.Body)), m.Date.Unix())); u != 0 {
			m.target = u
			present++
			continue
		}
		todo = append(todo, m)
	}
	todo, qerr := s.im.fits(todo)
	if len(todo) == 0 {
		return 0, present, qerr
	}
	batch := make([]store.AppendMessage, len(todo))
	for i, m := range todo {
		batch[i] = store.AppendMessage{Body: bodyReader(m.Body), Meta: m.meta, Flags: m.Flags,
			Keywords: s.im.keywords(m), InternalDate: m.Date}
	}
	res, err := s.im.st.AppendBatch(ctx, s.im.account, s.mailbox, batch)
	if err != nil {
		return 0, present, err
	}
	for i, m := range todo {
		if i < len(res.UIDs) {
			m.target = res.UIDs[i]
		}
	}
	return len(todo), present, qerr
}

// keywords are the message's keywords that IMAP can carry (an atom, RFC
// 9051 §9 flag-keyword); others are dropped with a warning.
func (im *importer) keywords(m *pending) []string {
	out := m.Keywords[:0:0]
	for _, kw := range m.Keywords {
		if validKeyword(kw) {
			out = append(out, kw)
		} else {
			im.opts.Log.Warn("keyword dropped: not an IMAP atom", "message", m.Where, "keyword", kw)
		}
	}
	return out
}

func validKeyword(kw string) bool {
	if kw == "" || len(kw) > 250 || kw[0] == '\\' {
		return false
	}
	for i := 0; i < len(kw); i++ {
		if c := kw[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}
