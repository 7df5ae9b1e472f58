package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// selectArgs are SELECT/EXAMINE's mailbox and parameters (RFC 7162
// §3.1.8, §3.2.5).
type selectArgs struct {
	mailbox   string
	condstore bool
	qresync   *qresyncArgs
}

type qresyncArgs struct {
	uidValidity uint32
	modSeq      uint64
	knownUIDs   *numSet
	seqMatch    *numSet // known sequence numbers
	uidMatch    *numSet // their UIDs
}

// parseSelect reads SELECT/EXAMINE mailbox [(CONDSTORE | QRESYNC (...))]
// (RFC 9051 §6.3.2, RFC 7162 §3.1.8 and §3.2.5).
func parseSelect(_ *session, r *reader, _ *command, a *selectArgs) error {
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	return r.optionalList(func() error {
		param, err := r.atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(param) {
		case "CONDSTORE":
			a.condstore = true
			return nil
		case "QRESYNC":
			if err := r.sp(); err != nil {
				return err
			}
			a.qresync, err = r.qresyncParams()
			return err
		}
		return errSyntax("Unknown SELECT parameter")
	})
}

// qresyncParams reads "(" uidvalidity SP modseq [SP known-uids]
// [SP seq-match-data] ")" (RFC 7162 §3.2.5).
func (r *reader) qresyncParams() (*qresyncArgs, error) {
	q := &qresyncArgs{}
	if err := r.expect('('); err != nil {
		return nil, err
	}
	var err error
	if q.uidValidity, err = r.nzNumber32(); err != nil {
		return nil, err
	}
	if err := r.sp(); err != nil {
		return nil, err
	}
	if q.modSeq, err = r.number(); err != nil {
		return nil, err
	}
	if r.peek() == ' ' {
		r.pos++
		if r.peek() != '(' {
			set, err := r.numSet()
			if err != nil || set.saved {
				return nil, errSyntax("Bad known UIDs")
			}
			q.knownUIDs = &set
			if r.peek() == ' ' {
				r.pos++
			}
		}
		if r.peek() == '(' {
			r.pos++
			seqs, err := r.numSet()
			if err != nil {
				return nil, err
			}
			if err := r.sp(); err != nil {
				return nil, err
			}
			uids, err := r.numSet()
			if err != nil {
				return nil, err
			}
			if err := r.expect(')'); err != nil {
				return nil, err
			}
			q.seqMatch, q.uidMatch = &seqs, &uids
		}
	}
	return q, r.expect(')')
}

// cmdSelect opens a mailbox (RFC 9051 §6.3.2/§6.3.3) with the CONDSTORE and
// QRESYNC parameters of RFC 7162.
func (s *session) cmdSelect(c *command, a *selectArgs) status {
	if a.qresync != nil && !s.qresync {
		return respBAD("QRESYNC is not enabled")
	}
	if a.qresync != nil && a.qresync.seqMatch != nil && s.uidOnly { // RFC 9586 §3
		return uidRequired
	}
	if s.v != nil {
		s.v = nil
		s.state = stateAuth
		if s.rev2 || s.qresync {
			s.w.status("*", respOKCode("CLOSED", "Previous mailbox closed"))
		}
	}
	if a.condstore {
		s.enableCondstore() // nothing selected now: no HIGHESTMODSEQ here
	}
	t, st, found := s.resolve(a.mailbox, imapacl.Select) // RFC 4314 §4: r
	if !found {
		return st
	}
	mb := t.mb
	snap, err := s.srv.index.get(s.ctx, mb)
	if err != nil {
		return s.storeError("select", err)
	}
	v := &view{mb: mb, readOnly: c.name == "EXAMINE" || imapacl.ReadOnly(t.rights), modseq: mb.HighestModSeq,
		owner: t.owner, rights: t.rights,
		pendingExp: map[store.UID]bool{}, recent: map[store.UID]bool{}, sentFlags: map[store.UID]store.ModSeq{}}
	s.watchOwner(mb.Account) // IDLE and NOTIFY hear the owner's changes (acl.go)
	// Shared with the index and the other views until it changes: the
	// capacity is cut so that an append copies.
	v.uids = snap.uids[:len(snap.uids):len(snap.uids)]
	for _, u := range s.srv.recent.claim(mb.ID, v.uids, !v.readOnly) {
		v.recent[u] = true
	}
	s.writeSelectData(v, snap, snap.firstUnseen+1)
	s.v, s.state = v, stateSelected
	if q := a.qresync; q != nil && q.uidValidity == mb.UIDValidity {
		if st := s.qresyncSelect(q); st.kind != "" {
			return st
		}
	}
	if v.readOnly {
		return respOKCode("READ-ONLY", c.name+" completed")
	}
	return respOKCode("READ-WRITE", "SELECT completed")
}

func (s *session) writeSelectData(v *view, snap *indexSnap, firstUnseen int) {
	v.keywords = snap.usedKeywords
	s.writeFlagsResponse(v)
	s.w.raw("* ")
	s.w.num(uint64(len(v.uids)))
	s.w.raw(" EXISTS\r\n")
	if !s.rev2 {
		s.w.raw("* ")
		s.w.num(uint64(len(v.recent)))
		s.w.raw(" RECENT\r\n")
		if firstUnseen > 0 {
			s.w.status("*", respOKCode("UNSEEN "+itoa(firstUnseen), "First unseen"))
		}
	}
	s.w.status("*", respOKCode("UIDVALIDITY "+itoa(int(v.mb.UIDValidity)), "UIDs valid"))
	// The view may have messages delivered after the mailbox was read.
	s.w.status("*", respOKCode("UIDNEXT "+itoa(int(max(v.mb.UIDNext, v.lastUID()+1))), "Predicted next UID"))
	s.w.status("*", respOKCode(mailboxIDCode(v.mb), "Mailbox ID")) // RFC 8474 §4.2
	if s.condstore {
		s.w.status("*", respOKCode("HIGHESTMODSEQ "+utoa(uint64(v.mb.HighestModSeq)), "Highest"))
	}
	if s.rev2 {
		s.w.raw(`* LIST () "` + store.HierarchySep + `" `)
		s.writeMailbox(sharedName(v.owner, v.mb.Name))
		s.w.crlf()
	}
}

// qresyncSelect sends what changed since the client's state (RFC 7162
// §3.2.5.1): VANISHED (EARLIER) then FETCH of changed flags.
func (s *session) qresyncSelect(q *qresyncArgs) status {
	v := s.v
	since := store.ModSeq(q.modSeq)
	gone, err := s.srv.st.ExpungedSince(s.ctx, v.mb.ID, since)
	if err != nil {
		return s.storeError("select", err)
	}
	if q.knownUIDs != nil {
		known := q.knownUIDs.resolve(uint32(v.lastUID()))
		kept := gone[:0]
		for _, u := range gone {
			if containsNum(known, uint32(u)) {
				kept = append(kept, u)
			}
		}
		gone = kept
	}
	if len(gone) > 0 {
		s.w.raw("* VANISHED (EARLIER) " + formatNums(gone) + "\r\n")
	}
	changed, err := s.srv.st.ChangedSince(s.ctx, v.mb.ID, since)
	if err != nil {
		return s.storeError("select", err)
	}
	for _, m := range changed {
		if seq := v.seqOf(m.UID); seq > 0 {
			s.writeFlagsFetch(seq, m)
		}
	}
	return status{}
}

func (s *session) cmdClose(_ *command) status {
	v := s.v
	if !v.readOnly && v.rights.Has(imapacl.Expunge) { // RFC 4314 §4: CLOSE expunges only with e
		del, err := s.deletedUIDs(v.uids)
		if err != nil {
			return s.storeError("close", err)
		}
		if len(del) > 0 {
			if _, err := s.srv.st.Expunge(s.ctx, v.mb.ID, del); err != nil {
				return s.storeError("close", err)
			}
		}
	}
	s.v, s.state = nil, stateAuth
	s.watchOwner(s.acct.ID) // no owner's feed to follow (acl.go)
	return respOK("CLOSE completed")
}

func (s *session) cmdUnselect(_ *command) status {
	s.v, s.state = nil, stateAuth
	s.watchOwner(s.acct.ID)
	return respOK("UNSELECT completed")
}
