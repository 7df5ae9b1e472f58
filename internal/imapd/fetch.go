package imapd

import (
	"bytes"
	"errors"
	"slices"
	"strconv"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }

// targetUIDs resolves a sequence set, UID set or "$" to the UIDs of the
// view it names, ascending. Numbers that name no message are ignored.
// It costs what the set names, not the size of the mailbox.
func (s *session) targetUIDs(set numSet, uid bool) []store.UID {
	v := s.v
	if set.saved {
		var out []store.UID
		for _, u := range v.saved {
			if v.seqOf(u) > 0 {
				out = append(out, u)
			}
		}
		return out
	}
	// Index ranges [lo, hi) of v.uids, merged and ascending.
	var spans [][2]int
	if uid {
		for _, rg := range set.resolve(uint32(v.lastUID())) {
			lo, _ := slices.BinarySearch(v.uids, store.UID(rg.lo))
			hi, found := slices.BinarySearch(v.uids, store.UID(rg.hi))
			if found {
				hi++
			}
			spans = append(spans, [2]int{lo, hi})
		}
	} else {
		n := uint32(len(v.uids))
		for _, rg := range set.resolve(n) {
			if rg.lo == 0 || rg.lo > n {
				continue
			}
			spans = append(spans, [2]int{int(rg.lo) - 1, int(min(rg.hi, n))})
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var out []store.UID
	next := 0 // v.uids below next are out already
	for _, sp := range spans {
		lo := max(sp[0], next)
		if lo < sp[1] {
			out = append(out, v.uids[lo:sp[1]]...)
			next = sp[1]
		}
	}
	return out
}

// loadMessages reads the store records of uids (ascending), skipping the
// ones expunged meanwhile. A set that is a small part of its span (a
// CHANGEDSINCE result, a few scattered UIDs) is read run by run rather
// than over the whole span.
func (s *session) loadMessages(uids []store.UID) ([]store.Message, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	runs := store.UIDRuns(uids, 64)
	span := int(uids[len(uids)-1]-uids[0]) + 1
	if len(runs) > 1 && len(runs)*20 >= span {
		runs = [][2]store.UID{{uids[0], uids[len(uids)-1]}}
	}
	var out []store.Message
	j := 0
	for _, run := range runs {
		all, err := s.srv.st.Messages(s.ctx, s.v.mb.ID, run[0], run[1])
		if err != nil {
			return nil, err
		}
		for _, m := range all {
			for j < len(uids) && uids[j] < m.UID {
				j++
			}
			if j < len(uids) && uids[j] == m.UID {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// currentIndex returns the index of the selected mailbox, up to date.
func (s *session) currentIndex() (*indexSnap, error) {
	mb, err := s.srv.st.MailboxByID(s.ctx, s.acct.ID, s.v.mb.ID)
	if err != nil {
		return nil, err
	}
	return s.srv.index.get(s.ctx, mb)
}

// indexRecs calls fn for the index records of uids (ascending) in turn,
// skipping UIDs the index no longer has.
func indexRecs(snap *indexSnap, uids []store.UID, fn func(r *indexRec)) {
	j := 0
	for _, u := range uids {
		if j < len(snap.recs) && snap.recs[j].uid != u {
			j, _ = snap.find(u, j)
		}
		if j >= len(snap.recs) {
			return
		}
		if snap.recs[j].uid == u {
			fn(&snap.recs[j])
			j++
		}
	}
}

// cmdFetch answers FETCH and UID FETCH (RFC 9051 §6.4.5, RFC 3516 BINARY,
// RFC 7162 CHANGEDSINCE, MODSEQ and VANISHED).
func (s *session) cmdFetch(c *command) status {
	f := c.fetch
	if f.vanished && (!c.uid || !s.qresync || f.changedSince == 0) {
		return respBAD("VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE")
	}
	items := f.items
	if f.changedSince > 0 {
		s.condstore = true
		items = append(items, fetchItem{name: "MODSEQ"})
	}
	for _, it := range items {
		if it.name == "MODSEQ" {
			s.condstore = true
		}
	}
	if c.uid {
		items = append([]fetchItem{{name: "UID"}}, items...)
	}
	items = dedupItems(items)
	uids := s.targetUIDs(c.set, c.uid)
	if f.vanished {
		if st := s.fetchVanished(uids, c.set, f.changedSince); st.kind != "" {
			return st
		}
	}
	if indexOnly(items) {
		return s.fetchFromIndex(uids, items, store.ModSeq(f.changedSince))
	}
	if f.changedSince > 0 {
		snap, err := s.currentIndex()
		if err != nil {
			return s.storeError("fetch", err)
		}
		var changed []store.UID
		indexRecs(snap, uids, func(r *indexRec) {
			if uint64(r.modseq) > f.changedSince {
				changed = append(changed, r.uid)
			}
		})
		uids = changed
	}
	since := store.ModSeq(f.changedSince)
	what, needMeta := readFlagsFor(items)
	br, bulk := s.srv.st.(store.BulkReader)
	if needMeta && what == 0 && bulk {
		return s.fetchMeta(br, uids, items)
	}
	if needMeta && bulk && !s.marksSeen(items) {
		// The records come with the metadata.
		return s.fetchBulk(br, uids, nil, items, nil, what, since)
	}
	msgs, err := s.loadMessages(uids)
	if err != nil {
		return s.storeError("fetch", err)
	}
	if since > 0 {
		kept := msgs[:0]
		for _, m := range msgs {
			if m.ModSeq > since {
				kept = append(kept, m)
			}
		}
		msgs = kept
	}
	seen, err := s.markSeen(msgs, items)
	if err != nil {
		return s.storeError("fetch", err)
	}
	if needMeta && bulk {
		uids = make([]store.UID, len(msgs))
		for i, m := range msgs {
			uids[i] = m.UID
		}
		return s.fetchBulk(br, uids, msgs, items, seen, what, 0)
	}
	for _, m := range msgs {
		if st := s.writeFetch(m, items, seen[m.UID], nil); st.kind != "" {
			return st
		}
	}
	return respOK("FETCH completed")
}

// indexOnly reports whether the items are all in the index: UID, FLAGS
// and MODSEQ (a client's flag resynchronisation).
func indexOnly(items []fetchItem) bool {
	for _, it := range items {
		switch it.name {
		case "UID", "FLAGS", "MODSEQ":
		default:
			return false
		}
	}
	return true
}

// readFlagsFor says what FETCH items need besides the message record:
// the metadata (needMeta: ENVELOPE, BODYSTRUCTURE, BODY and the body
// sections) and the body (the sections, BINARY.SIZE, RFC822*). None of
// them needs the decoded header fields.
func readFlagsFor(items []fetchItem) (what store.ReadFlags, needMeta bool) {
	for _, it := range items {
		switch it.name {
		case "UID", "FLAGS", "MODSEQ", "INTERNALDATE", "RFC822.SIZE":
		case "ENVELOPE", "BODYSTRUCTURE", "BODY":
			needMeta = true
		default:
			needMeta = true
			what |= store.ReadBody
		}
	}
	return what, needMeta
}

// marksSeen reports whether the FETCH sets \Seen (a non-PEEK body item
// in a read-write mailbox).
func (s *session) marksSeen(items []fetchItem) bool {
	if s.v.readOnly {
		return false
	}
	for _, it := range items {
		if setsSeen(it) {
			return true
		}
	}
	return false
}

// fetchFromIndex answers a FETCH of UID, FLAGS and MODSEQ from the index
// (with CHANGEDSINCE, only the messages changed since).
func (s *session) fetchFromIndex(uids []store.UID, items []fetchItem, since store.ModSeq) status {
	snap, err := s.currentIndex()
	if err != nil {
		return s.storeError("fetch", err)
	}
	indexRecs(snap, uids, func(r *indexRec) {
		if r.modseq > since {
			s.writeFetch(snap.message(s.v.mb.ID, r), items, false, nil)
		}
	})
	return respOK("FETCH completed")
}

// fetchMeta answers a FETCH whose items need the metadata but not the
// body (ENVELOPE, BODYSTRUCTURE, BODY with record items): the cached
// items are written as they are, and one bulk read gets the metadata of
// the messages whose items are not all cached.
func (s *session) fetchMeta(br store.BulkReader, uids []store.UID, items []fetchItem) status {
	var recs []store.Message
	indexed := true
	for _, it := range items {
		if cachedItem(it.name) < 0 && it.name != "UID" && it.name != "FLAGS" && it.name != "MODSEQ" {
			indexed = false
		}
	}
	if indexed {
		snap, err := s.currentIndex()
		if err != nil {
			return s.storeError("fetch", err)
		}
		indexRecs(snap, uids, func(r *indexRec) { recs = append(recs, snap.message(s.v.mb.ID, r)) })
	} else {
		var err error
		if recs, err = s.loadMessages(uids); err != nil {
			return s.storeError("fetch", err)
		}
	}
	var misses []store.UID
	missed := make([]bool, len(recs))
	for i, m := range recs {
		if !s.itemsCached(m.UID, items) {
			misses = append(misses, m.UID)
			missed[i] = true
		}
	}
	// Responses go out in UID order: the cached ones before each message
	// the bulk read returns, the rest after it. (A cached item dropped
	// from the cache meanwhile is read again, alone.)
	j := 0
	var failed status
	writeUpTo := func(u store.UID) bool {
		for ; j < len(recs) && recs[j].UID < u; j++ {
			if missed[j] {
				continue // the bulk read did not find it: expunged since
			}
			if st := s.writeFetch(recs[j], items, false, nil); st.kind != "" {
				failed = st
				return false
			}
		}
		return true
	}
	err := br.ReadMessages(s.ctx, s.v.mb.ID, misses, 0, func(d *store.MessageData) error {
		if !writeUpTo(d.UID) {
			return errFetchStopped
		}
		if j < len(recs) && recs[j].UID == d.UID {
			m := recs[j]
			j++
			if st := s.writeFetch(m, items, false, d); st.kind != "" {
				failed = st
				return errFetchStopped
			}
		}
		return nil
	})
	if failed.kind == "" && err == nil {
		writeUpTo(^store.UID(0))
	}
	if failed.kind != "" {
		return failed
	}
	if err != nil {
		return s.storeError("fetch", err)
	}
	return respOK("FETCH completed")
}

// itemsCached reports whether every cacheable item of a message is in
// the item cache.
func (s *session) itemsCached(uid store.UID, items []fetchItem) bool {
	for _, it := range items {
		if i := cachedItem(it.name); i >= 0 {
			if _, ok := s.srv.items.get(s.itemKey(uid, i)); !ok {
				return false
			}
		}
	}
	return true
}

func (s *session) itemKey(uid store.UID, item int) itemKey {
	return itemKey{mb: s.v.mb.ID, uid: uid, item: uint8(item), utf8: s.utf8}
}

// errFetchStopped ends a bulk read whose FETCH response failed.
var errFetchStopped = errors.New("fetch stopped")

// fetchBulk writes the FETCH responses of uids with the metadata (and
// bodies) of one bulk read, instead of one read per message. recs, when
// not nil, are the records to write (as markSeen left them), one for
// each UID; else the bulk read's are used, those changed since since.
func (s *session) fetchBulk(br store.BulkReader, uids []store.UID, recs []store.Message, items []fetchItem,
	seen map[store.UID]bool, what store.ReadFlags, since store.ModSeq) status {
	var failed status
	j := 0
	err := br.ReadMessages(s.ctx, s.v.mb.ID, uids, what, func(d *store.MessageData) error {
		m := d.Message
		if recs != nil {
			for recs[j].UID < d.UID {
				j++
			}
			m = recs[j]
		} else if m.ModSeq <= since {
			return nil
		}
		if st := s.writeFetch(m, items, seen[m.UID], d); st.kind != "" {
			failed = st
			return errFetchStopped
		}
		return nil
	})
	if failed.kind != "" {
		return failed
	}
	if err != nil {
		return s.storeError("fetch", err)
	}
	return respOK("FETCH completed")
}

func dedupItems(items []fetchItem) []fetchItem {
	seen := map[string]bool{}
	out := items[:0:0]
	for _, it := range items {
		key := it.name + "|" + it.section.Name() + strconv.FormatBool(it.peek)
		if it.name == "BODY[]" || it.name == "BINARY[]" {
			key += sectionKey(it.section)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, it)
	}
	return out
}

func sectionKey(s imapmsg.Section) string {
	b := []byte{}
	for _, p := range s.Part {
		b = strconv.AppendInt(b, int64(p), 10)
		b = append(b, '.')
	}
	b = append(b, s.Specifier...)
	for _, f := range s.Fields {
		b = append(b, ' ')
		b = append(b, f...)
	}
	if s.Partial != nil {
		b = append(b, '<')
		b = strconv.AppendInt(b, s.Partial.Offset, 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, s.Partial.Count, 10)
	}
	return string(b)
}

// fetchVanished sends VANISHED (EARLIER) for the UIDs of the requested set
// expunged since the given mod-sequence (RFC 7162 §3.2.6).
func (s *session) fetchVanished(_ []store.UID, set numSet, since uint64) status {
	gone, err := s.srv.st.ExpungedSince(s.ctx, s.v.mb.ID, store.ModSeq(since))
	if err != nil {
		return s.storeError("fetch", err)
	}
	// "*" reaches past the last UID in the view: 1:* covers the expunged
	// messages above it too.
	rs := set.resolve(0xffffffff)
	var out []store.UID
	for _, u := range gone {
		if containsNum(rs, uint32(u)) {
			out = append(out, u)
		}
	}
	if len(out) > 0 {
		s.w.raw("* VANISHED (EARLIER) " + formatNums(out) + "\r\n")
	}
	return status{}
}

// setsSeen reports whether an item implicitly sets \Seen.
func setsSeen(it fetchItem) bool {
	switch it.name {
	case "BODY[]", "BINARY[]":
		return !it.peek
	case "RFC822", "RFC822.TEXT":
		return true
	}
	return false
}

// markSeen sets \Seen on the messages a non-PEEK body fetch reads (RFC
// 9051 §6.4.5) and returns the ones whose FLAGS must be sent.
func (s *session) markSeen(msgs []store.Message, items []fetchItem) (map[store.UID]bool, error) {
	if s.v.readOnly {
		return nil, nil
	}
	any := false
	for _, it := range items {
		any = any || setsSeen(it)
	}
	if !any {
		return nil, nil
	}
	var uids []store.UID
	for _, m := range msgs {
		if m.Flags&store.FlagSeen == 0 {
			uids = append(uids, m.UID)
		}
	}
	if len(uids) == 0 {
		return nil, nil
	}
	res, err := s.srv.st.StoreFlags(s.ctx, s.v.mb.ID, uids, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
	if err != nil {
		return nil, err
	}
	seen := map[store.UID]bool{}
	byUID := map[store.UID]store.Message{}
	for _, m := range res.Updated {
		seen[m.UID] = true
		byUID[m.UID] = m
		s.v.sentFlags[m.UID] = m.ModSeq
	}
	for i, m := range msgs {
		if u, ok := byUID[m.UID]; ok {
			msgs[i] = u
		}
	}
	return seen, nil
}

// fetchCtx loads a message's metadata and body at most once (or has
// them from a bulk read).
type fetchCtx struct {
	s       *session
	m       store.Message
	meta    *msgmeta.Meta
	blob    store.Blob
	ownBlob bool // opened here, closed by close
}

func (fc *fetchCtx) getMeta() (*msgmeta.Meta, error) {
	if fc.meta == nil {
		m, err := fc.s.srv.st.Meta(fc.s.ctx, fc.m.Mailbox, fc.m.UID)
		if err != nil {
			return nil, err
		}
		fc.meta = m
	}
	return fc.meta, nil
}

func (fc *fetchCtx) getBlob() (store.Blob, error) {
	if fc.blob == nil {
		b, err := fc.s.srv.st.OpenBlob(fc.s.ctx, fc.m.Blob)
		if err != nil {
			return nil, err
		}
		fc.blob, fc.ownBlob = b, true
	}
	return fc.blob, nil
}

func (fc *fetchCtx) close() {
	if fc.ownBlob {
		fc.blob.Close()
	}
}

// writeFetch writes one FETCH response; d, when not nil, has the
// message's metadata and body from a bulk read.
func (s *session) writeFetch(m store.Message, items []fetchItem, flagsChanged bool, d *store.MessageData) status {
	seq := s.v.seqOf(m.UID)
	if seq == 0 {
		return status{}
	}
	fc := &fetchCtx{s: s, m: m}
	if d != nil {
		fc.meta, fc.blob = d.Meta, d.Body
	}
	defer fc.close()
	s.w.raw("* ")
	s.w.num(uint64(seq))
	s.w.raw(" FETCH (")
	wroteFlags := false
	for i, it := range items {
		if i > 0 {
			s.w.byte(' ')
		}
		if it.name == "FLAGS" {
			wroteFlags = true
		}
		if err := s.writeItem(fc, it); err != nil {
			return s.fetchError(err)
		}
	}
	if flagsChanged && !wroteFlags {
		s.w.raw(" FLAGS ")
		s.w.flags(m, s.recentFlag(m.UID))
	}
	s.w.raw(")\r\n")
	return status{}
}

// fetchError ends a FETCH that failed mid-response. The response line is
// already partly written, so the connection cannot go on cleanly for
// errors other than a missing message.
func (s *session) fetchError(err error) status {
	var ue imapmsg.UnknownEncodingError
	if errors.As(err, &ue) {
		s.w.raw(")\r\n")
		return respNOCode("UNKNOWN-CTE", "Cannot decode the part's content-transfer-encoding")
	}
	s.w.raw(")\r\n")
	return s.storeError("fetch", err)
}

func (s *session) writeItem(fc *fetchCtx, it fetchItem) error {
	m := fc.m
	switch it.name {
	case "UID":
		s.w.raw("UID ")
		s.w.num32(uint32(m.UID))
	case "FLAGS":
		s.w.raw("FLAGS ")
		s.w.flags(m, s.recentFlag(m.UID))
	case "INTERNALDATE":
		s.w.raw("INTERNALDATE " + imapmsg.InternalDate(m.InternalDate))
	case "RFC822.SIZE":
		s.w.raw("RFC822.SIZE " + strconv.FormatInt(m.Size, 10))
	case "MODSEQ":
		s.w.raw("MODSEQ (")
		s.w.num(uint64(m.ModSeq))
		s.w.byte(')')
	case "ENVELOPE", "BODYSTRUCTURE", "BODY":
		return s.writeMetaItem(fc, it)
	case "BINARY.SIZE":
		meta, blob, err := fc.both()
		if err != nil {
			return err
		}
		n, err := imapmsg.BinarySize(meta, blob, m.Size, it.section.Part)
		if err != nil {
			return err
		}
		s.w.raw("BINARY.SIZE" + binaryPart(it.section.Part) + " " + strconv.FormatInt(n, 10))
	default:
		return s.writeSection(fc, it)
	}
	return nil
}

func binaryPart(part []int) string {
	b := []byte{'['}
	for i, p := range part {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return string(append(b, ']'))
}

func (fc *fetchCtx) both() (*msgmeta.Meta, store.Blob, error) {
	meta, err := fc.getMeta()
	if err != nil {
		return nil, nil, err
	}
	blob, err := fc.getBlob()
	return meta, blob, err
}

func (s *session) writeMetaItem(fc *fetchCtx, it fetchItem) error {
	key := s.itemKey(fc.m.UID, cachedItem(it.name))
	if b, ok := s.srv.items.get(key); ok {
		s.w.Write(b)
		return nil
	}
	meta, err := fc.getMeta()
	if err != nil {
		return err
	}
	buf := &s.metaBuf
	buf.Reset()
	buf.WriteString(it.name + " ")
	switch it.name {
	case "ENVELOPE":
		imapmsg.WriteEnvelope(buf, &meta.Envelope, s.utf8)
	case "BODYSTRUCTURE":
		imapmsg.WriteBodyStructure(buf, &meta.Body, true, s.utf8)
	default:
		imapmsg.WriteBodyStructure(buf, &meta.Body, false, s.utf8)
	}
	s.w.Write(buf.Bytes())
	s.srv.items.put(key, bytes.Clone(buf.Bytes()))
	return nil
}

// writeSection writes BODY[...], BINARY[...] and the RFC822 items, with
// the content streamed from the blob.
func (s *session) writeSection(fc *fetchCtx, it fetchItem) error {
	sec, name := it.section, ""
	switch it.name {
	case "RFC822":
		sec, name = imapmsg.Section{}, "RFC822"
	case "RFC822.HEADER":
		sec, name = imapmsg.Section{Specifier: "HEADER"}, "RFC822.HEADER"
	case "RFC822.TEXT":
		sec, name = imapmsg.Section{Specifier: "TEXT"}, "RFC822.TEXT"
	default:
		name = sec.Name()
	}
	meta, blob, err := fc.both()
	if err != nil {
		return err
	}
	r, n, err := imapmsg.SectionReader(meta, blob, fc.m.Size, sec)
	if err != nil {
		return err
	}
	s.w.raw(name + " ")
	return s.w.literal(n, r, sec.Binary)
}
