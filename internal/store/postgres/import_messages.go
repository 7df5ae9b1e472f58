package postgres

import (
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// How ImportMessages takes one message (planImport).
type importHow uint8

const (
	importBody    importHow = iota // a new body, stored as the blob of its email ID
	importShare                    // the email ID's body is stored already (or earlier in the batch): one more reference
	importPresent                  // its UID is in the mailbox: not read
)

// ImportMessages implements store.Importer. As AppendBatch, the bodies are
// taken in before the write transaction (a large one streamed in chunks,
// under its email ID, in a transaction of its own), and the batch is one
// transaction; the bodies of UIDs present already are not read, those of
// email IDs stored already only counted.
func (s *Store) ImportMessages(ctx context.Context, account store.AccountID, mailbox store.MailboxID, msgs []store.ImportMessage) (store.Imported, error) {
	const op = "import messages"
	if err := store.CheckImportMessages(msgs); err != nil {
		return store.Imported{}, err
	}
	if len(msgs) == 0 {
		return store.Imported{}, nil
	}
	if err := s.enter(op); err != nil {
		return store.Imported{}, err
	}
	defer s.leave()
	plan, err := s.planImport(ctx, mailbox, msgs)
	if err != nil {
		return store.Imported{}, s.wrap(op, err)
	}
	bodies := make([]*body, len(msgs))
	sizes := make([]int64, len(msgs))
	release := func() {
		for _, b := range bodies {
			s.dropPending(b)
		}
	}
	for i, m := range msgs {
		switch plan[i] {
		case importBody:
			bodies[i], err = s.intakeMail(ctx, m.Body, m.Meta, store.BlobID(m.EmailID))
		case importShare:
			sizes[i], err = io.Copy(io.Discard, m.Body)
			err = store.Wrap(store.KindTemporary, op, err)
		}
		if err != nil {
			release()
			return store.Imported{}, err
		}
	}
	// Once the bodies are in, the write is waited for whatever ctx does:
	// a caller told of a failure must find nothing stored.
	var res store.Imported
	err = s.write(context.WithoutCancel(ctx), op, func(t *txn) error {
		res = store.Imported{}
		return t.importMessages(account, mailbox, msgs, plan, bodies, sizes, &res)
	})
	if err != nil {
		release()
		return store.Imported{}, err
	}
	s.indexer.Poke()
	return res, nil
}

// planImport decides how each message is taken: present (its UID is in
// the mailbox), shared (its email ID's body is stored, or comes earlier
// in msgs) or a new body. It removes the bodies that an interrupted
// import left without references under the email IDs to store.
func (s *Store) planImport(ctx context.Context, mailbox store.MailboxID, msgs []store.ImportMessage) ([]importHow, error) {
	uids, ids := make([]int64, len(msgs)), make([]int64, len(msgs))
	for i, m := range msgs {
		uids[i], ids[i] = int64(m.UID), int64(m.EmailID)
	}
	present, err := queryPairs(ctx, s, `SELECT uid, 0 FROM messages WHERE mailbox = $1 AND uid = ANY($2)`, mailbox, uids)
	if err != nil {
		return nil, err
	}
	stored, err := queryPairs(ctx, s, `SELECT id, refs FROM blobs WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	plan := make([]importHow, len(msgs))
	var orphans []int64
	for i, m := range msgs {
		id := int64(m.EmailID)
		refs, ok := stored[id]
		switch {
		case hasKey(present, int64(m.UID)):
			plan[i] = importPresent
		case ok && refs > 0:
			plan[i] = importShare
		default:
			if ok {
				orphans = append(orphans, id)
			}
			plan[i] = importBody
			stored[id] = 1 // a later copy in msgs shares it
		}
	}
	if len(orphans) > 0 {
		if _, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE id = ANY($1) AND refs = 0`, orphans); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func hasKey(m map[int64]int64, k int64) bool { _, ok := m[k]; return ok }

// queryPairs reads a query of two bigint columns into a map.
func queryPairs(ctx context.Context, s *Store, q string, args ...any) (map[int64]int64, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]int64)
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// importRows are the rows of one ImportMessages transaction, inserted in
// a few statements.
type importRows struct {
	// new bodies: small ones inserted, large ones (written) taken
	newBodies                              map[store.EmailID]*body
	refs                                   map[store.EmailID]int64 // references to add, by email ID
	keys                                   []store.ThreadKey
	uid, modseq, idate, size, blob, thread []int64
	saved                                  []int64 // RFC 8514: the source's, else now
	flags, zone                            []int32
	keywords                               []string
	unseen, bytes                          int64
	next                                   store.UID
	highest                                store.ModSeq
	maxEmail                               int64
}

// importMessages inserts the messages not present and raises the
// mailbox's UIDNEXT and HIGHESTMODSEQ, its counts, the account's usage
// and the sequence of email IDs.
func (t *txn) importMessages(account store.AccountID, mailbox store.MailboxID, msgs []store.ImportMessage, plan []importHow,
	bodies []*body, sizes []int64, res *store.Imported) error {
	const op = "import messages"
	if err := t.lockAccount(op, account); err != nil {
		return err
	}
	var owner store.AccountID
	if err := t.queryRow(`SELECT account FROM mailboxes WHERE id = $1 FOR NO KEY UPDATE`, mailbox).Scan(&owner); isNoRows(err) || owner != account {
		return store.Errorf(store.KindNotFound, op, "no such mailbox")
	} else if err != nil {
		return err
	}
	uids := make([]store.UID, len(msgs))
	for i, m := range msgs {
		uids[i] = m.UID
	}
	old, err := t.messagesIn(mailbox, uids)
	if err != nil {
		return err
	}
	have := make(map[store.UID]store.EmailID, len(old))
	for _, m := range old {
		have[m.UID] = m.EmailID
	}
	r := importRows{newBodies: map[store.EmailID]*body{}, refs: map[store.EmailID]int64{}}
	shared := map[store.EmailID][]string{} // thread keys of bodies stored before
	for i, m := range msgs {
		if e, ok := have[m.UID]; ok {
			if e != m.EmailID {
				return store.Errorf(store.KindExists, op, "UID %d holds another message (%s, not %s)", m.UID, e, m.EmailID)
			}
			res.Present++
			continue
		}
		if plan[i] == importPresent {
			return store.Errorf(store.KindTemporary, op, "UID %d was expunged during the import: run it again", m.UID)
		}
		size, keys, err := t.importBody(op, m.EmailID, bodies[i], sizes[i], &r, shared)
		if err != nil {
			return err
		}
		have[m.UID] = m.EmailID
		r.refs[m.EmailID]++
		thread := m.ThreadID
		if thread == 0 { // threaded as at delivery, seeing the keys of the batch so far
			if err := t.addThreadKeys(account, r.keys); err != nil {
				return err
			}
			r.keys = r.keys[:0]
			if thread, err = t.assignThread(account, keys, m.EmailID); err != nil {
				return err
			}
		} else {
			for _, k := range keys {
				r.keys = append(r.keys, store.ThreadKey{Key: k, Thread: thread})
			}
		}
		_, zone := m.InternalDate.Zone()
		r.uid, r.modseq, r.idate = append(r.uid, int64(m.UID)), append(r.modseq, int64(m.ModSeq)), append(r.idate, m.InternalDate.Unix())
		r.saved = append(r.saved, store.SaveDateUnix(m.SaveDate))
		r.size, r.blob, r.thread = append(r.size, size), append(r.blob, int64(m.EmailID)), append(r.thread, int64(thread))
		r.flags, r.zone = append(r.flags, int32(m.Flags)), append(r.zone, int32(zone))
		r.keywords = append(r.keywords, store.JoinKeywords(m.Keywords))
		r.unseen += boolInt(m.Flags&store.FlagSeen == 0)
		r.bytes += size
		r.next, r.highest = max(r.next, m.UID+1), max(r.highest, m.ModSeq)
		r.maxEmail = max(r.maxEmail, int64(m.EmailID))
		res.Added++
	}
	if res.Added == 0 {
		return nil
	}
	return t.insertImported(op, account, mailbox, &r)
}

// importBody checks the body of a message to add and returns its size and
// thread keys: a new one (b) is kept for insertImported; one stored
// before, or earlier in the batch, must have the size read (size), and a
// message must hold it (not the queue).
func (t *txn) importBody(op string, id store.EmailID, b *body, size int64, r *importRows, shared map[store.EmailID][]string) (int64, []string, error) {
	if b != nil {
		if r.newBodies[id] != nil {
			return 0, nil, store.Errorf(store.KindExists, op, "email ID %s has two bodies in the batch", id)
		}
		r.newBodies[id] = b
		return b.size, b.threadKeys, nil
	}
	if nb := r.newBodies[id]; nb != nil {
		if nb.size != size {
			return 0, nil, store.Errorf(store.KindExists, op, "email ID %s names two bodies in the batch", id)
		}
		return size, nb.threadKeys, nil
	}
	if keys, ok := shared[id]; ok {
		return size, keys, nil
	}
	var stored int64
	var raw []byte
	var held bool
	err := t.queryRow(`SELECT size, meta, refs > (SELECT count(*) FROM queue WHERE blob = $1) FROM blobs WHERE id = $1`,
		id).Scan(&stored, &raw, &held)
	if isNoRows(err) {
		return 0, nil, store.Errorf(store.KindTemporary, op, "the body of email ID %s was removed during the import: run it again", id)
	}
	if err != nil {
		return 0, nil, err
	}
	if stored != size || !held || raw == nil {
		return 0, nil, store.Errorf(store.KindExists, op, "email ID %s names another body in this store", id)
	}
	meta, err := msgmeta.Unmarshal(raw)
	if err != nil {
		return 0, nil, store.Wrap(store.KindInternal, op, err)
	}
	shared[id] = store.ThreadKeys(meta)
	return size, shared[id], nil
}

// insertImported writes the rows of an import: the new bodies, the
// references, the thread keys, the messages, and the counters.
func (t *txn) insertImported(op string, account store.AccountID, mailbox store.MailboxID, r *importRows) error {
	var ids, sizes []int64
	var metas, datas [][]byte
	var refs []int64
	for id, b := range r.newBodies {
		if b.blob != 0 { // written in chunks under its email ID
			if _, err := t.exec(`UPDATE blobs SET refs = $2, meta = $3 WHERE id = $1`, b.blob, r.refs[id], b.meta); err != nil {
				return err
			}
		} else {
			ids, sizes, refs = append(ids, int64(id)), append(sizes, b.size), append(refs, r.refs[id])
			metas, datas = append(metas, b.meta), append(datas, nonNil(b.data))
		}
		delete(r.refs, id)
	}
	if len(ids) > 0 {
		if _, err := t.exec(`INSERT INTO blobs(id, size, refs, chunk, meta, data)
			SELECT id, size, refs, $1, meta, data FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bytea[], $6::bytea[])
			AS b(id, size, refs, meta, data)`, ChunkSize, ids, sizes, refs, metas, datas); err != nil {
			if isUnique(err) {
				return store.Errorf(store.KindTemporary, op, "an email ID of the batch was stored meanwhile: run it again")
			}
			return err
		}
	}
	for id := range r.newBodies {
		if err := t.markUnindexed(store.BlobID(id)); err != nil {
			return err
		}
	}
	for id, n := range r.refs { // bodies stored before
		if err := t.addBlobRefs(store.BlobID(id), n); err != nil {
			return err
		}
	}
	if err := t.addThreadKeys(account, r.keys); err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO messages(mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid, saved)
		SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::integer[], $5::text[], $6::bigint[], $7::integer[],
		$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])`, mailbox, r.uid, r.modseq, r.flags, r.keywords, r.idate, r.zone,
		r.size, r.blob, r.thread, r.saved); err != nil {
		return err
	}
	n := int64(len(r.uid))
	if _, err := t.exec(`UPDATE mailboxes SET messages = messages + $1, unseen = unseen + $2, size = size + $3,
		uidnext = greatest(uidnext, $4), highestmodseq = greatest(highestmodseq, $5) WHERE id = $6`,
		n, r.unseen, r.bytes, int64(r.next), int64(r.highest), mailbox); err != nil {
		return err
	}
	if err := t.chargeQuota(op, account, r.bytes, n, false); err != nil {
		return err
	}
	if err := t.notifyResync(account); err != nil {
		return err
	}
	return t.raiseSequence(blobSeq, r.maxEmail)
}
