package imapd

import (
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
	var done []store.UID
	for _, m := range c.append {
		uid, st := s.appendOne(mb, m)
		if st.kind != "" {
			if len(done) > 0 {
				// RFC 3502 §3: a failed MULTIAPPEND appends nothing.
				if _, err := s.srv.st.Expunge(s.ctx, mb.ID, done); err != nil {
					s.log.Warn("MULTIAPPEND rollback failed", "err", err)
				}
			}
			return st
		}
		done = append(done, uid)
	}
	if s.v != nil && s.v.mb.ID == mb.ID {
		s.v.dirty = true
	}
	return respOKCode("APPENDUID "+utoa(uint64(mb.UIDValidity))+" "+formatOrdered(done), "APPEND completed")
}

func (s *session) appendOne(mb store.Mailbox, m *appendMsg) (store.UID, status) {
	flags, kw, valid := parseFlags(m.flags)
	if !valid {
		return 0, respBAD("Unknown system flag")
	}
	nm := store.NewMessage{Body: m.body.open()}
	if m.date != "" {
		t, err := parseDateTime(m.date)
		if err != nil {
			return 0, respBAD("Bad date-time")
		}
		nm.InternalDate = t
	}
	res, err := s.srv.st.Deliver(s.ctx, nm, []store.Target{{
		Account: s.acct.ID, Mailbox: mb.ID, Flags: flags, Keywords: kw,
	}})
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	if err != nil {
		return 0, s.storeError("append", err)
	}
	return res[0].UID, status{}
}
