package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// REPLACE and UID REPLACE (RFC 8508): APPEND a message, then expunge one
// of the selected mailbox. The store has no transaction that spans both,
// so they run in that order and the second undoes the first when it
// fails: the new message is appended (durable, nothing expunged yet), the
// old one expunged; if that expunge fails, the new message is expunged
// again and the command fails, so either both happen or, as far as the
// client can tell, neither (§3.4; other sessions may see the new message
// come and go, and a server crash between the two steps leaves both
// messages, never neither).

// replaceArgs are REPLACE's message number (sequence number or UID), and
// the APPEND arguments of the replacement.
type replaceArgs struct {
	num uint32
	appendArgs
}

// parseReplace reads REPLACE SP seq-number SP mailbox SP [flag-list SP]
// [date-time SP] literal (RFC 8508 §5; append-message as APPEND has it).
func parseReplace(s *session, r *reader, _ *command, a *replaceArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	if a.num, err = r.nzNumber32(); err != nil {
		return err
	}
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	m, err := s.appendMessage(r, &appendBudget{total: s.srv.cfg.MaxAppendTotal, mem: appendMemMax})
	if m != nil {
		a.msgs = append(a.msgs, m)
	}
	return err
}

// cmdReplace answers REPLACE and UID REPLACE (RFC 8508 §3).
func (s *session) cmdReplace(c *command, a *replaceArgs) status {
	v := s.v
	var old store.UID
	if c.uid {
		old = store.UID(a.num)
		if v.seqOf(old) == 0 {
			return respNOCode("NONEXISTENT", "No message with that UID")
		}
	} else {
		if int(a.num) > len(v.uids) {
			return badSeq
		}
		old = v.uids[a.num-1]
	}
	if v.readOnly { // §3.3: the old message cannot be expunged
		return respNOCode("READ-ONLY", "Mailbox is read-only")
	}
	if !imapacl.Allows(v.rights, imapacl.MoveFrom) { // RFC 8508 §3.4: the old message's t and e
		return respNOCode("NOPERM", "Permission denied: REPLACE needs the t and e rights")
	}
	t, st, found := s.resolve(a.mailbox, imapacl.AppendTo) // RFC 4314 §4: i
	mb := t.mb
	if !found {
		if st.code == "NONEXISTENT" {
			st.code = "TRYCREATE"
		}
		return st
	}
	m := a.msgs[0]
	if st = s.encodeNUL(m); st.kind != "" {
		return st
	}
	am, st := appendMessage(m)
	if st.kind != "" {
		return st
	}
	am.Flags, am.Keywords = permittedFlags(t.rights, am.Flags, am.Keywords)
	res, err := s.appendOne(mb, am)
	if err != nil {
		return s.appendError(err)
	}
	if _, err := s.srv.st.Expunge(s.ctx, v.mb.ID, []store.UID{old}); err != nil {
		if _, uerr := s.srv.st.Expunge(s.ctx, res.Mailbox, res.UIDs); uerr != nil {
			s.log.Error("REPLACE: the appended message could not be removed again", "mailbox", res.Mailbox,
				"uid", res.UIDs[0], "err", uerr)
		}
		return s.storeError("replace", err)
	}
	v.dirty = true
	if !uidCodes(t) {
		return respOK("REPLACE completed")
	}
	// §3.4: APPENDUID in an untagged OK, before the EXPUNGE (or
	// VANISHED) and EXISTS that the updates after the command send.
	s.w.status("*", respOKCode("APPENDUID "+utoa(uint64(res.UIDValidity))+" "+formatOrdered(res.UIDs),
		"Replacement message ready"))
	return respOK("REPLACE completed")
}
