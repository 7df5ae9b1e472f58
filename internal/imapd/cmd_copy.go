package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// copyArgs are COPY's and MOVE's arguments.
type copyArgs struct {
	set     numSet
	mailbox string
}

func parseCopy(_ *session, r *reader, _ *command, a *copyArgs) error {
	if err := r.setArg(&a.set); err != nil {
		return err
	}
	var err error
	a.mailbox, err = r.astring()
	return err
}

// cmdCopy answers COPY, MOVE and their UID forms (RFC 9051 §6.4.7/§6.4.8,
// RFC 4315 COPYUID, RFC 6851 MOVE).
func (s *session) cmdCopy(c *command, a *copyArgs) status {
	if !c.uid && !s.v.seqsKnown(a.set) {
		return badSeq
	}
	move := c.name == "MOVE"
	if move && s.v.readOnly {
		return respNOCode("READ-ONLY", "Mailbox is read-only")
	}
	if move && !imapacl.Allows(s.v.rights, imapacl.MoveFrom) { // RFC 4314 §4, RFC 6851 §4.2: t and e
		return respNOCode("NOPERM", "Permission denied: MOVE needs the t and e rights on the source")
	}
	t, st, found := s.resolve(a.mailbox, imapacl.AppendTo) // RFC 4314 §4: i
	dst := t.mb
	if !found {
		if st.code == "NONEXISTENT" {
			st.code = "TRYCREATE"
		}
		return st
	}
	uids := s.targetUIDs(a.set, c.uid)
	if len(uids) == 0 {
		return respOK(c.name + " completed")
	}
	var res store.CopyResult
	var err error
	if move {
		res, err = s.srv.st.Move(s.ctx, s.v.mb.ID, uids, dst.ID, unpermittedFlags(t.rights))
	} else {
		res, err = s.srv.st.Copy(s.ctx, s.v.mb.ID, uids, dst.ID, unpermittedFlags(t.rights))
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
	s.reportJunk(dst, res)
	if len(res.Src) == 0 || !uidCodes(t) {
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
