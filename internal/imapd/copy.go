package imapd

import (
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// cmdCopy answers COPY, MOVE and their UID forms (RFC 9051 §6.4.7/§6.4.8,
// RFC 4315 COPYUID, RFC 6851 MOVE).
func (s *session) cmdCopy(c *command) status {
	move := c.name == "MOVE"
	if move && s.v.readOnly {
		return respNOCode("READ-ONLY", "Mailbox is read-only")
	}
	dst, st, found := s.lookup(c.mailbox)
	if !found {
		if st.code == "NONEXISTENT" {
			st.code = "TRYCREATE"
		}
		return st
	}
	uids := s.targetUIDs(c.set, c.uid)
	if len(uids) == 0 {
		return respOK(c.name + " completed")
	}
	var res store.CopyResult
	var err error
	if move {
		res, err = s.srv.st.Move(s.ctx, s.v.mb.ID, uids, dst.ID)
	} else {
		res, err = s.srv.st.Copy(s.ctx, s.v.mb.ID, uids, dst.ID)
	}
	if err != nil {
		st := s.storeError(c.name, err)
		if store.IsKind(err, store.KindNotFound) {
			st.code = "TRYCREATE"
		}
		return st
	}
	if dst.ID == s.v.mb.ID || move {
		s.v.dirty = true
	}
	if len(res.Src) == 0 {
		return respOK(c.name + " completed")
	}
	code := "COPYUID " + utoa(uint64(res.UIDValidity)) + " " + formatOrdered(res.Src) + " " + formatOrdered(res.Dst)
	if move {
		// RFC 6851 §4.3: COPYUID in an untagged OK before the expunges.
		s.w.status("*", respOKCode(code, "Moved"))
		return respOK("MOVE completed")
	}
	return respOKCode(code, "COPY completed")
}

// cmdExpunge answers EXPUNGE and UID EXPUNGE (RFC 9051 §6.4.3, RFC 4315
// §2.1).
func (s *session) cmdExpunge(c *command) status {
	if s.v.readOnly {
		return respNOCode("READ-ONLY", "Mailbox is read-only")
	}
	uids := s.v.uids
	if c.uid {
		uids = s.targetUIDs(c.set, true)
	}
	del, err := s.deletedUIDs(uids)
	if err != nil {
		return s.storeError("expunge", err)
	}
	if len(del) > 0 {
		if _, err := s.srv.st.Expunge(s.ctx, s.v.mb.ID, del); err != nil {
			return s.storeError("expunge", err)
		}
		s.v.dirty = true
	}
	return respOK("EXPUNGE completed")
}

// deletedUIDs returns which of uids have \Deleted, from the index.
func (s *session) deletedUIDs(uids []store.UID) ([]store.UID, error) {
	snap, err := s.currentIndex()
	if err != nil {
		return nil, err
	}
	var del []store.UID
	indexRecs(snap, uids, func(r *indexRec) {
		if r.flags&store.FlagDeleted != 0 {
			del = append(del, r.uid)
		}
	})
	return del, nil
}

// cmdAppend stores one message, or several atomically for MULTIAPPEND
// (RFC 9051 §6.3.12, RFC 3502, RFC 4315 APPENDUID, RFC 7889, RFC 9208
// OVERQUOTA).
func (s *session) cmdAppend(c *command) status {
	mb, st, found := s.lookup(c.mailbox)
	if !found {
		if st.code == "NONEXISTENT" {
			st.code = "TRYCREATE"
		}
		return st
	}
	// RFC 3502 §3: every message is checked before any is stored.
	msgs := make([]store.AppendMessage, len(c.append))
	for i, m := range c.append {
		if msgs[i], st = appendMessage(m); st.kind != "" {
			return st
		}
	}
	var res store.Appended
	var err error
	if len(msgs) == 1 {
		res, err = s.appendOne(mb, msgs[0])
	} else {
		// RFC 3502 §3: "If the server is unable to append all of the
		// messages, it MUST NOT append any": one store transaction.
		res, err = s.srv.st.AppendBatch(s.ctx, s.acct.ID, mb.ID, msgs)
	}
	if err != nil {
		return s.appendError(err)
	}
	if s.v != nil && s.v.mb.ID == mb.ID {
		s.v.dirty = true
	}
	// RFC 4315 §3: APPENDUID with the UIDs in the order of the messages.
	return respOKCode("APPENDUID "+utoa(uint64(res.UIDValidity))+" "+formatOrdered(res.UIDs), "APPEND completed")
}

// appendMessage checks the flags and date-time of one APPEND message.
func appendMessage(m *appendMsg) (store.AppendMessage, status) {
	flags, kw, valid := parseFlags(m.flags)
	if !valid {
		return store.AppendMessage{}, respBAD("Unknown system flag")
	}
	am := store.AppendMessage{Body: m.body.open(), Meta: appendMeta(m.body), Flags: flags, Keywords: kw}
	if m.date != "" {
		t, err := parseDateTime(m.date)
		if err != nil {
			return store.AppendMessage{}, respBAD("Bad date-time")
		}
		am.InternalDate = t
	}
	return am, status{}
}

// appendMeta parses an APPEND message before the store (docs/flow.md),
// a spooled one from its file without taking it into the heap. nil (the
// spool file could not be read) leaves the parse to the store, which
// reads the same file and reports the error.
func appendMeta(b *spooled) *msgmeta.Meta {
	if b.f == nil {
		return msgmeta.ParseBytes(b.data)
	}
	m, err := msgmeta.ParseFile(b.f, b.size)
	if err != nil {
		return nil
	}
	return m
}

// appendOne stores a single APPEND message with Deliver.
func (s *session) appendOne(mb store.Mailbox, m store.AppendMessage) (store.Appended, error) {
	res, err := s.srv.st.Deliver(s.ctx, store.NewMessage{Body: m.Body, Meta: m.Meta, InternalDate: m.InternalDate}, []store.Target{{
		Account: s.acct.ID, Mailbox: mb.ID, Flags: m.Flags, Keywords: m.Keywords,
	}})
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	if err != nil {
		return store.Appended{}, err
	}
	d := res[0]
	return store.Appended{Mailbox: d.Mailbox, UIDValidity: d.UIDValidity, UIDs: []store.UID{d.UID}, ModSeq: d.ModSeq}, nil
}

// appendError maps a store error of APPEND to its response: a mailbox
// deleted since the lookup is [TRYCREATE] (RFC 9051 §6.3.12).
func (s *session) appendError(err error) status {
	st := s.storeError("append", err)
	if store.IsKind(err, store.KindNotFound) {
		st.code = "TRYCREATE"
	}
	return st
}
