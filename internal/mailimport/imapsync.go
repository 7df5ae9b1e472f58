package mailimport

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// imapState is what an IMAP import keeps of one source folder in the
// store's KV (README "Migrating to Petrel"), so that the next run moves
// only what changed.
type imapState struct {
	// UIDValidity, LastUID and HighestModSeq are the source's: the
	// messages up to LastUID are imported; HighestModSeq is CONDSTORE's
	// (RFC 7162 §3.1.1) at the last run, 0 without it.
	UIDValidity   uint32 `json:"uidvalidity"`
	LastUID       uint32 `json:"last_uid"`
	HighestModSeq uint64 `json:"highestmodseq"`
	// Mailbox is the target's name, TargetValidity its UIDVALIDITY and
	// TargetNext its UIDNEXT after the last run: a mailbox that got
	// other messages since cannot take the source's UIDs any more.
	Mailbox        string `json:"mailbox"`
	TargetValidity uint32 `json:"target_uidvalidity"`
	TargetNext     uint32 `json:"target_uidnext"`
	// KeptUpTo: the source's messages up to this UID have the same UID
	// in the target; the others are in the map (imapMap).
	KeptUpTo uint32 `json:"kept_up_to"`
	// Folder is the source's name of the folder (for the report of a
	// folder deleted on the source); states of earlier versions lack it
	// until their folder is imported again.
	Folder string `json:"folder,omitempty"`
}

// imapMap maps source UIDs to target UIDs for the messages imported
// with new UIDs, kept in the KV in chunks of mapChunk source UIDs.
type imapMap struct {
	m     map[uint32]uint32
	dirty map[uint32]bool // chunks
}

const mapChunk = 4096

func (m *imapMap) set(src uint32, dst store.UID) {
	m.m[src] = uint32(dst)
	m.dirty[src/mapChunk] = true
}

func (m *imapMap) remove(src uint32) {
	if _, ok := m.m[src]; ok {
		delete(m.m, src)
		m.dirty[src/mapChunk] = true
	}
}

// folderSync is one source folder's import.
type folderSync struct {
	im    *importer
	src   *IMAPSource
	key   string // KV key of the state; the map's chunks are below key+"/map/"
	name  string // the source's name
	use   store.SpecialUse
	sel   selected
	state imapState
	idmap imapMap
	mb    store.Mailbox
}

func (fs *folderSync) run(ctx context.Context) error {
	var err error
	if fs.sel, err = fs.src.selectFolder(ctx, fs.name); err != nil {
		return err
	}
	if err := fs.load(ctx); err != nil {
		return err
	}
	known := fs.state.LastUID
	sk, err := fs.sink(ctx)
	if err != nil {
		return err
	}
	present := fs.im.rep.Present
	if err := fs.copyNew(ctx, sk); err != nil {
		return err
	}
	// Messages found there already (by the duplicate check, or copied
	// by a run killed before it saved its state) have the target's
	// flags: they are compared too (changed since the last whole run
	// when the source has CONDSTORE).
	if fs.im.rep.Present > present {
		known = fs.state.LastUID
	}
	if err := fs.syncFlags(ctx, known); err != nil {
		return err
	}
	if err := fs.expunges(ctx); err != nil {
		return err
	}
	fs.state.HighestModSeq = fs.sel.highestModSeq
	return fs.save(ctx)
}

// load reads the folder's state and map; a state of another source
// UIDVALIDITY, or of a target mailbox deleted or made again since, is
// dropped (the duplicate check then finds what is there: RFC 9051
// §2.3.1.1, the UIDs of another UIDVALIDITY name other messages).
func (fs *folderSync) load(ctx context.Context) error {
	fs.idmap = imapMap{m: map[uint32]uint32{}, dirty: map[uint32]bool{}}
	b, err := fs.im.st.KVLoad(ctx, fs.key)
	if err != nil && !store.IsKind(err, store.KindNotFound) {
		return err
	}
	if err == nil {
		if err := json.Unmarshal(b, &fs.state); err != nil {
			return fmt.Errorf("import state %s: %w", fs.key, err)
		}
	}
	if fs.state.Mailbox == "" {
		fs.state.Mailbox, err = fs.targetName(ctx)
		if err != nil {
			return err
		}
	}
	if _, err := store.NormalizeName(fs.state.Mailbox); err != nil {
		return &refusedName{folder: fs.name, mailbox: fs.state.Mailbox, err: err}
	}
	fs.mb, err = fs.im.st.Mailbox(ctx, fs.im.account, fs.state.Mailbox)
	exists := err == nil
	if err != nil && !store.IsKind(err, store.KindNotFound) {
		return err
	}
	reset := fs.state.UIDValidity != 0 && fs.state.UIDValidity != fs.sel.uidValidity ||
		fs.state.TargetValidity != 0 && (!exists || fs.mb.UIDValidity != fs.state.TargetValidity)
	if reset {
		fs.im.opts.Log.Warn("UIDVALIDITY changed: the folder is compared again by Message-ID, size and date",
			"folder", fs.name, "mailbox", fs.state.Mailbox)
		if err := fs.dropMap(ctx); err != nil {
			return err
		}
		fs.state = imapState{Mailbox: fs.state.Mailbox}
		return nil
	}
	return fs.loadMap(ctx)
}

// loadMap reads the folder's map (imapMap).
func (fs *folderSync) loadMap(ctx context.Context) error {
	keys, err := fs.im.st.KVList(ctx, fs.key+"/map/")
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := fs.im.st.KVLoad(ctx, k.Key)
		if err != nil {
			return err
		}
		for i := 0; i+8 <= len(v); i += 8 {
			fs.idmap.m[binary.LittleEndian.Uint32(v[i:])] = binary.LittleEndian.Uint32(v[i+4:])
		}
	}
	return nil
}

// targetName is the mailbox a folder goes to the first time: the
// account's mailbox of the folder's special use when there is one (the
// source's "Sent Items" into "Sent"), else the folder's name.
func (fs *folderSync) targetName(ctx context.Context) (string, error) {
	name := fs.src.localName(fs.name)
	if fs.use == store.UseNone || name == store.InboxName {
		return name, nil
	}
	mbs, err := fs.im.st.Mailboxes(ctx, fs.im.account)
	if err != nil {
		return "", err
	}
	for _, mb := range mbs {
		if mb.SpecialUse == fs.use {
			return mb.Name, nil
		}
	}
	return name, nil
}

func (fs *folderSync) dropMap(ctx context.Context) error {
	return dropKeys(ctx, fs.im.st, fs.key, false)
}

// save writes the map's changed chunks, then the state.
func (fs *folderSync) save(ctx context.Context) error {
	for c := range fs.idmap.dirty {
		var v []byte
		for src := c * mapChunk; src < (c+1)*mapChunk && src >= c*mapChunk; src++ {
			if dst, ok := fs.idmap.m[src]; ok {
				v = binary.LittleEndian.AppendUint32(v, src)
				v = binary.LittleEndian.AppendUint32(v, dst)
			}
		}
		k := fs.key + "/map/" + strconv.FormatUint(uint64(c), 10)
		var err error
		if len(v) == 0 {
			if err = fs.im.st.KVDelete(ctx, k); store.IsKind(err, store.KindNotFound) {
				err = nil
			}
		} else {
			err = fs.im.st.KVStore(ctx, k, v)
		}
		if err != nil {
			return err
		}
	}
	clear(fs.idmap.dirty)
	fs.state.Folder = fs.name
	fs.state.UIDValidity = fs.sel.uidValidity
	fs.state.TargetValidity = fs.mb.UIDValidity
	b, err := json.Marshal(fs.state)
	if err != nil {
		return err
	}
	return fs.im.st.KVStore(ctx, fs.key, b)
}

// sink opens the target mailbox for the new messages: with the source's
// UIDs when it is new or empty, or holds only what earlier runs brought
// with their UIDs; else with new UIDs and the duplicate check.
func (fs *folderSync) sink(ctx context.Context) (sink, error) {
	exists := fs.mb.ID != 0
	f := Folder{Name: fs.state.Mailbox, UIDValidity: fs.sel.uidValidity, NextUID: fs.sel.uidNext, Use: fs.use}
	keep := !fs.im.opts.NoUIDs && (!exists || fs.mb.UIDNext == 1)
	if !keep && !fs.im.opts.NoUIDs && exists && fs.mb.UIDValidity == fs.sel.uidValidity {
		// Ours from an earlier run that nothing else added to, or
		// taken over by a run killed before it saved its state (and
		// still empty).
		keep = uint32(fs.mb.UIDNext) == fs.state.TargetNext && fs.state.KeptUpTo == fs.state.LastUID
		if !keep && fs.state.LastUID == 0 {
			have, err := fs.im.st.ListMessages(ctx, fs.mb.ID, 0, 1)
			if err != nil {
				return nil, err
			}
			keep = len(have) == 0
		}
	}
	if keep {
		sk, err := fs.im.uidSink(ctx, f, fs.mb, exists)
		if err != nil {
			return nil, err
		}
		if fs.mb, err = fs.im.st.Mailbox(ctx, fs.im.account, f.Name); err != nil {
			return nil, err
		}
		// The target's UIDNEXT is the source's now: recorded before any
		// message moves, so that a run killed in between keeps the UIDs.
		fs.state.TargetNext = uint32(fs.mb.UIDNext)
		return sk, fs.save(ctx)
	}
	if !exists {
		use, err := fs.im.freeUse(ctx, f)
		if err != nil {
			return nil, err
		}
		if fs.mb, err = fs.im.st.CreateMailbox(ctx, fs.im.account, f.Name, use); err != nil {
			return nil, err
		}
	}
	mapped := map[store.UID]bool{}
	for _, dst := range fs.idmap.m {
		mapped[store.UID(dst)] = true
	}
	return fs.im.appendSinkExcept(ctx, fs.mb, func(u store.UID) bool {
		return mapped[u] || uint32(u) <= fs.state.KeptUpTo
	})
}

// copyNew copies the messages after LastUID, in batches of bodies.
func (fs *folderSync) copyNew(ctx context.Context, sk sink) error {
	_, kept := sk.(*uidSink)
	var batch []remoteMessage
	var size int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := fs.copyBatch(ctx, sk, batch, kept)
		batch, size = batch[:0], 0
		return err
	}
	err := fs.src.headers(ctx, fs.state.LastUID+1, 0, 0, fs.sel.uidNext, func(m remoteMessage) error {
		if m.uid <= fs.state.LastUID {
			return nil
		}
		batch = append(batch, m)
		size += m.size
		if len(batch) >= fs.im.opts.BatchMessages || size >= fs.im.opts.BatchBytes {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// copyBatch fetches the bodies of batch, writes them and saves the
// state.
func (fs *folderSync) copyBatch(ctx context.Context, sk sink, batch []remoteMessage, kept bool) error {
	byUID := make(map[uint32]*remoteMessage, len(batch))
	var fetch []remoteMessage
	for i, m := range batch {
		if m.size > fs.src.maxSize() {
			// Too big by its RFC822.SIZE: not even fetched.
			fs.im.rep.Skipped++
			fs.im.opts.Log.Warn("message skipped", "message", fmt.Sprintf("%s UID %d", fs.name, m.uid), "reason",
				fmt.Sprintf("%d bytes, over the limit of %d", m.size, fs.src.maxSize()))
			continue
		}
		byUID[m.uid] = &batch[i]
		fetch = append(fetch, m)
	}
	var msgs []*pending
	err := fs.src.bodies(ctx, fetch, func(uid uint32, body []byte, tooBig bool) error {
		rm := byUID[uid]
		if rm == nil {
			return nil
		}
		where := fmt.Sprintf("%s UID %d", fs.name, uid)
		if tooBig {
			fs.im.rep.Skipped++
			fs.im.opts.Log.Warn("message skipped", "message", where, "reason",
				fmt.Sprintf("over the limit of %d bytes", fs.src.maxSize()))
			return nil
		}
		body = CRLF(body)
		msgs = append(msgs, &pending{Message: Message{UID: uid, Flags: rm.flags, Keywords: rm.keywords,
			Date: rm.date, Fallback: time.Now(), Body: body, Where: where, Units: 1}, meta: msgmeta.ParseBytes(body)})
		fs.im.opts.Progress.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(msgs, func(a, b *pending) int { return int(a.UID) - int(b.UID) })
	if len(msgs) > 0 {
		added, present, err := sk.write(ctx, msgs)
		fs.im.rep.Added += added
		fs.im.rep.Present += present
		if err != nil {
			return err
		}
	}
	for _, m := range msgs {
		if !kept && m.target != 0 {
			fs.idmap.set(m.UID, m.target)
		}
	}
	fs.state.LastUID = max(fs.state.LastUID, batch[len(batch)-1].uid)
	if kept {
		fs.state.KeptUpTo = fs.state.LastUID
	}
	return fs.save(ctx)
}

// target is the UID in the target of a message of the source this
// import brought, 0 if none.
func (fs *folderSync) target(src uint32) store.UID {
	if dst, ok := fs.idmap.m[src]; ok {
		return store.UID(dst)
	}
	if src <= fs.state.KeptUpTo {
		return store.UID(src)
	}
	return 0
}

// syncFlags gives the target's messages of source UIDs up to known the
// source's flags and keywords: those changed since the last run when
// the source has CONDSTORE (RFC 7162 §3.1.4.1), else all compared.
func (fs *folderSync) syncFlags(ctx context.Context, known uint32) error {
	if known == 0 {
		return nil
	}
	var since uint64
	if fs.src.condstore() && fs.state.HighestModSeq > 0 && fs.sel.highestModSeq > 0 {
		if fs.sel.highestModSeq == fs.state.HighestModSeq {
			return nil
		}
		since = fs.state.HighestModSeq
	}
	var page []remoteMessage
	flush := func() error {
		err := fs.applyFlags(ctx, page)
		page = page[:0]
		return err
	}
	err := fs.src.headers(ctx, 1, known, since, fs.sel.uidNext, func(m remoteMessage) error {
		if fs.target(m.uid) == 0 {
			return nil
		}
		page = append(page, m)
		if len(page) >= 1000 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func (fs *folderSync) applyFlags(ctx context.Context, page []remoteMessage) error {
	if len(page) == 0 {
		return nil
	}
	lo, hi := fs.target(page[0].uid), fs.target(page[0].uid)
	for _, m := range page {
		t := fs.target(m.uid)
		lo, hi = min(lo, t), max(hi, t)
	}
	have, err := fs.im.st.Messages(ctx, fs.mb.ID, lo, hi)
	if err != nil {
		return err
	}
	byUID := make(map[store.UID]*store.Message, len(have))
	for i := range have {
		byUID[have[i].UID] = &have[i]
	}
	for _, m := range page {
		t := byUID[fs.target(m.uid)]
		if t == nil || t.Flags == m.flags && sameKeywords(t.Keywords, m.keywords) {
			continue
		}
		kws := fs.im.keywords(&pending{Message: Message{Keywords: m.keywords}})
		if _, err := fs.im.st.StoreFlags(ctx, fs.mb.ID, []store.UID{t.UID},
			store.FlagChange{Op: store.FlagsReplace, Flags: m.flags, Keywords: kws}); err != nil {
			return err
		}
		fs.im.rep.Updated++
	}
	return nil
}

// sameKeywords compares keyword sets; keywords are case-insensitive
// (RFC 9051 §2.3.2).
func sameKeywords(a, b []string) bool {
	norm := func(s []string) []string {
		out := make([]string, len(s))
		for i, k := range s {
			out[i] = strings.ToLower(k)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

// expunges removes from the target the messages this import brought
// whose source UID is gone from the source.
func (fs *folderSync) expunges(ctx context.Context) error {
	if fs.state.LastUID == 0 {
		return nil
	}
	live, err := fs.src.uids(ctx, fs.state.LastUID)
	if err != nil {
		return err
	}
	slices.Sort(live)
	gone := func(src uint32) bool {
		_, found := slices.BinarySearch(live, src)
		return !found
	}
	var doomed []store.UID
	after := store.UID(0)
	for after < store.UID(fs.state.KeptUpTo) {
		page, err := fs.im.st.ListMessages(ctx, fs.mb.ID, after, 5000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if uint32(m.UID) <= fs.state.KeptUpTo && gone(uint32(m.UID)) {
				doomed = append(doomed, m.UID)
			}
		}
		after = page[len(page)-1].UID
	}
	for src, dst := range fs.idmap.m {
		if gone(src) {
			doomed = append(doomed, store.UID(dst))
			fs.idmap.remove(src)
		}
	}
	slices.Sort(doomed)
	for len(doomed) > 0 {
		n := min(len(doomed), 1000)
		done, err := fs.im.st.Expunge(ctx, fs.mb.ID, doomed[:n])
		if err != nil {
			return err
		}
		fs.im.rep.Expunged += len(done)
		doomed = doomed[n:]
	}
	return nil
}
