package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// expungeArgs: UID EXPUNGE's UID set (RFC 4315 §2.1).
type expungeArgs struct{ set numSet }

func parseExpunge(_ *session, r *reader, c *command, a *expungeArgs) error {
	if !c.uid {
		return nil
	}
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	a.set, err = r.numSet()
	return err
}

// cmdExpunge answers EXPUNGE and UID EXPUNGE (RFC 9051 §6.4.3, RFC 4315
// §2.1).
func (s *session) cmdExpunge(c *command, a *expungeArgs) status {
	if s.v.readOnly {
		return respNOCode("READ-ONLY", "Mailbox is read-only")
	}
	if !imapacl.Allows(s.v.rights, imapacl.ExpungeMsgs) { // RFC 4314 §4: e
		return respNOCode("NOPERM", "Permission denied: expunge needs the e right")
	}
	uids := s.v.uids
	if c.uid {
		uids = s.targetUIDs(a.set, true)
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
