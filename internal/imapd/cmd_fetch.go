package imapd

import (
	"errors"
	"github.com/petrelmail/petrel/internal/imapacl"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// fetchItem is one FETCH data item.
type fetchItem struct {
	name    string // FLAGS, UID, ENVELOPE, BODY[], BINARY[], BINARY.SIZE, ...
	section imapmsg.Section
	peek    bool
}

// fetchArgs are FETCH's arguments (RFC 9051 §6.4.5, RFC 7162 §3.1.4,
// §3.2.6).
type fetchArgs struct {
	set          numSet
	items        []fetchItem
	changedSince uint64
	vanished     bool
	partial      *partialRange // RFC 9394 §3.3
}

func isNameChar(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '-'
}

// parseFetch reads FETCH sequence-set items [(modifiers)] (RFC 9051
// §6.4.5, RFC 7162 §3.1.4 CHANGEDSINCE and §3.2.6 VANISHED).
func parseFetch(_ *session, r *reader, _ *command, f *fetchArgs) error {
	if err := r.setArg(&f.set); err != nil {
		return err
	}
	var err error
	if r.peek() == '(' {
		err = r.list(func() error { return f.item(r) })
	} else {
		err = f.item(r)
	}
	if err != nil {
		return err
	}
	if len(f.items) == 0 {
		return errSyntax("FETCH needs data items")
	}
	if r.peek() != ' ' {
		return nil
	}
	r.pos++
	return r.list(func() error {
		a := strings.ToUpper(r.atomWith(isNameChar))
		switch a {
		case "CHANGEDSINCE":
			if err := r.sp(); err != nil {
				return err
			}
			f.changedSince, err = r.number()
			if err == nil && f.changedSince == 0 {
				err = errSyntax("CHANGEDSINCE needs a non-zero mod-sequence")
			}
			return err
		case "VANISHED":
			f.vanished = true
			return nil
		case "PARTIAL": // RFC 9394 §3.3: a window of the messages of the set
			if f.partial != nil {
				return errSyntax("PARTIAL twice")
			}
			f.partial = new(partialRange)
			return r.partialRange(f.partial)
		}
		return errSyntax("Unknown FETCH modifier")
	})
}

// item reads one fetch-att, expanding the ALL, FAST and FULL macros.
func (f *fetchArgs) item(r *reader) error {
	name := strings.ToUpper(r.atomWith(isNameChar))
	switch name {
	case "ALL", "FAST", "FULL":
		for _, n := range []string{"FLAGS", "INTERNALDATE", "RFC822.SIZE"} {
			f.items = append(f.items, fetchItem{name: n})
		}
		if name != "FAST" {
			f.items = append(f.items, fetchItem{name: "ENVELOPE"})
		}
		if name == "FULL" {
			f.items = append(f.items, fetchItem{name: "BODY"})
		}
		return nil
	case "ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.TEXT",
		"RFC822.SIZE", "BODYSTRUCTURE", "UID", "MODSEQ":
		f.items = append(f.items, fetchItem{name: name})
		return nil
	case "EMAILID", "THREADID", "SAVEDATE": // RFC 8474 §5, RFC 8514 §4.1
		f.items = append(f.items, fetchItem{name: name})
		return nil
	case "PREVIEW": // RFC 8970 §4.1
		it, err := r.previewItem()
		f.items = append(f.items, it)
		return err
	case "BODY", "BODY.PEEK":
		if r.peek() != '[' {
			if name == "BODY.PEEK" {
				return errSyntax("BODY.PEEK needs a section")
			}
			f.items = append(f.items, fetchItem{name: "BODY"})
			return nil
		}
		it := fetchItem{name: "BODY[]", peek: name == "BODY.PEEK"}
		var err error
		if it.section, err = r.section(); err != nil {
			return err
		}
		f.items = append(f.items, it)
		return nil
	case "BINARY", "BINARY.PEEK", "BINARY.SIZE":
		it := fetchItem{name: "BINARY[]", peek: name == "BINARY.PEEK"}
		if name == "BINARY.SIZE" {
			it.name = "BINARY.SIZE"
		}
		part, err := r.binarySection()
		if err != nil {
			return err
		}
		it.section = imapmsg.Section{Part: part, Binary: true}
		if name != "BINARY.SIZE" && r.peek() == '<' {
			if it.section.Partial, err = r.partial(); err != nil {
				return err
			}
		}
		f.items = append(f.items, it)
		return nil
	}
	return errSyntax("Unknown FETCH data item")
}

// section reads "[" section-spec "]" ["<" offset "." count ">"].
func (r *reader) section() (imapmsg.Section, error) {
	var s imapmsg.Section
	if err := r.expect('['); err != nil {
		return s, err
	}
	part, err := r.partNumbers()
	if err != nil {
		return s, err
	}
	s.Part = part
	if r.peek() != ']' {
		if len(part) > 0 {
			if err := r.expect('.'); err != nil {
				return s, err
			}
		}
		spec := strings.ToUpper(r.atomWith(isNameChar))
		switch spec {
		case "HEADER", "TEXT":
		case "MIME":
			if len(part) == 0 {
				return s, errSyntax("MIME needs a part number")
			}
		case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
			if err := r.sp(); err != nil {
				return s, err
			}
			err := r.list(func() error {
				f, err := r.astring()
				s.Fields = append(s.Fields, f)
				return err
			})
			if err != nil {
				return s, err
			}
			if len(s.Fields) == 0 {
				return s, errSyntax("Empty header list")
			}
		default:
			return s, errSyntax("Unknown section")
		}
		s.Specifier = spec
	}
	if err := r.expect(']'); err != nil {
		return s, err
	}
	if r.peek() == '<' {
		s.Partial, err = r.partial()
	}
	return s, err
}

// partNumbers reads "1.2.3" up to a non-digit, leaving a trailing "."
// before a specifier unread.
func (r *reader) partNumbers() ([]int, error) {
	var part []int
	for r.peek() >= '1' && r.peek() <= '9' {
		n, err := r.nzNumber32()
		if err != nil {
			return nil, err
		}
		part = append(part, int(n))
		if r.peek() == '.' && r.pos+1 < len(r.line) && r.line[r.pos+1] >= '0' && r.line[r.pos+1] <= '9' {
			r.pos++
			continue
		}
		break
	}
	return part, nil
}

// binarySection reads "[" [part] "]" (RFC 3516 section-binary).
func (r *reader) binarySection() ([]int, error) {
	if err := r.expect('['); err != nil {
		return nil, err
	}
	part, err := r.partNumbers()
	if err != nil {
		return nil, err
	}
	return part, r.expect(']')
}

func (r *reader) partial() (*imapmsg.Partial, error) {
	r.pos++ // '<'
	off, err := r.number()
	if err != nil {
		return nil, err
	}
	if err := r.expect('.'); err != nil {
		return nil, err
	}
	n, err := r.number()
	if err != nil || n == 0 {
		return nil, errSyntax("Bad partial range")
	}
	return &imapmsg.Partial{Offset: int64(off), Count: int64(n)}, r.expect('>')
}

// cmdFetch answers FETCH and UID FETCH (RFC 9051 §6.4.5, RFC 3516 BINARY,
// RFC 7162 CHANGEDSINCE, MODSEQ and VANISHED).
func (s *session) cmdFetch(c *command, f *fetchArgs) status {
	if f.vanished && (!c.uid || !s.qresync || f.changedSince == 0) {
		return respBAD("VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE")
	}
	if !c.uid && !s.v.seqsKnown(f.set) {
		return badSeq
	}
	items := f.items
	if f.changedSince > 0 {
		s.enableCondstore()
		items = append(items, fetchItem{name: "MODSEQ"})
	}
	for _, it := range items {
		if it.name == "MODSEQ" {
			s.enableCondstore()
		}
	}
	if c.uid && !s.uidOnly { // RFC 9586 §3.3: a UIDFETCH's number is the UID
		items = append([]fetchItem{{name: "UID"}}, items...)
	}
	items = dedupItems(items)
	uids := s.targetUIDs(f.set, c.uid)
	if f.partial != nil { // RFC 9394 §3.3: only the messages in the range
		lo, hi := f.partial.window(len(uids))
		uids = uids[min(lo, hi):hi]
	}
	defer s.startProgress(c, len(uids))()
	if f.vanished {
		if st := s.fetchVanished(uids, f.set, f.changedSince); st.kind != "" {
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
	br := s.srv.st
	if needMeta && what == 0 {
		return s.fetchMeta(br, uids, items)
	}
	if needMeta && !s.marksSeen(items) {
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
	if needMeta {
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
		case "EMAILID", "THREADID", "SAVEDATE":
		case "ENVELOPE", "BODYSTRUCTURE", "BODY":
			needMeta = true
		case "PREVIEW": // from the item cache, else its own read of the body
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
	if s.v.readOnly || !s.v.rights.Has(imapacl.Seen) { // RFC 4314 §4: \Seen needs s
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
// body (ENVELOPE, BODYSTRUCTURE, BODY, PREVIEW with record items): the
// cached items are written as they are, and one bulk read gets the
// metadata (and for PREVIEW the bodies) of the messages whose items are
// not all cached.
func (s *session) fetchMeta(br store.BulkReader, uids []store.UID, items []fetchItem) status {
	var recs []store.Message
	indexed := true
	for _, it := range items {
		if cachedItem(it.name) < 0 && it.name != "UID" && it.name != "FLAGS" && it.name != "MODSEQ" {
			indexed = false
		}
		if it.name == "PREVIEW" { // a preview not cached opens the body: its blob is in the record
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
	err := br.ReadMessages(s.ctx, s.v.mb.ID, misses, previewRead(items)|envelopeRead(items), func(d *store.MessageData) error {
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

// envelopeRead is store.ReadEnvelope when ENVELOPE is the only item
// of the metadata a FETCH asks for (a client's header scan, UID FETCH 1:*
// (FLAGS ENVELOPE)): the structure is then not decoded.
func envelopeRead(items []fetchItem) store.ReadFlags {
	env := false
	for _, it := range items {
		switch it.name {
		case "ENVELOPE":
			env = true
		case "UID", "FLAGS", "MODSEQ", "INTERNALDATE", "RFC822.SIZE", "EMAILID", "THREADID", "SAVEDATE":
		default:
			return 0
		}
	}
	if env {
		return store.ReadEnvelope
	}
	return 0
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
	if s.v.readOnly || !s.v.rights.Has(imapacl.Seen) {
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
