package imapd

import (
	"sort"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// view is a session's picture of the selected mailbox (RFC 9051 §7.5):
// the sequence-number to UID map as last told to the client.
type view struct {
	mb       store.Mailbox
	readOnly bool
	// uids[seq-1]; shared with the index and other views: never changed
	// in place (an append copies, as the capacity is cut at SELECT).
	uids []store.UID
	// modseq: flag changes and expunges up to here have been taken in.
	modseq store.ModSeq
	// pendingExp are expunged in the store but not yet announced, because
	// the commands so far did not allow EXPUNGE responses.
	pendingExp map[store.UID]bool
	recent     map[store.UID]bool
	// saved is the SEARCHRES result "$" (RFC 5182), as UIDs.
	saved []store.UID
	// sentFlags: flag updates this session already sent (by STORE).
	sentFlags map[store.UID]store.ModSeq
	dirty     bool
}

func (v *view) lastUID() store.UID {
	if len(v.uids) == 0 {
		return 0
	}
	return v.uids[len(v.uids)-1]
}

// seqOf returns the sequence number of uid, or 0.
func (v *view) seqOf(uid store.UID) int {
	i := sort.Search(len(v.uids), func(i int) bool { return v.uids[i] >= uid })
	if i < len(v.uids) && v.uids[i] == uid {
		return i + 1
	}
	return 0
}

// cmdSelect opens a mailbox (RFC 9051 §6.3.2/§6.3.3) with the CONDSTORE and
// QRESYNC parameters of RFC 7162.
func (s *session) cmdSelect(c *command) status {
	if c.sel.qresync != nil && !s.qresync {
		return respBAD("QRESYNC is not enabled")
	}
	if s.v != nil {
		s.v = nil
		s.state = stateAuth
		if s.rev2 || s.qresync {
			s.w.status("*", respOKCode("CLOSED", "Previous mailbox closed"))
		}
	}
	if c.sel.condstore {
		s.condstore = true
	}
	mb, st, found := s.lookup(c.mailbox)
	if !found {
		return st
	}
	snap, err := s.srv.index.get(s.ctx, mb)
	if err != nil {
		return s.storeError("select", err)
	}
	v := &view{mb: mb, readOnly: c.name == "EXAMINE", modseq: mb.HighestModSeq,
		pendingExp: map[store.UID]bool{}, recent: map[store.UID]bool{}, sentFlags: map[store.UID]store.ModSeq{}}
	// Shared with the index and the other views until it changes: the
	// capacity is cut so that an append copies.
	v.uids = snap.uids[:len(snap.uids):len(snap.uids)]
	for _, u := range s.srv.recent.claim(mb.ID, v.uids, !v.readOnly) {
		v.recent[u] = true
	}
	s.writeSelectData(v, snap, snap.firstUnseen+1)
	s.v, s.state = v, stateSelected
	if q := c.sel.qresync; q != nil && q.uidValidity == mb.UIDValidity {
		if st := s.qresyncSelect(q); st.kind != "" {
			return st
		}
	}
	if v.readOnly {
		return respOKCode("READ-ONLY", "EXAMINE completed")
	}
	return respOKCode("READ-WRITE", "SELECT completed")
}

func (s *session) writeSelectData(v *view, snap *indexSnap, firstUnseen int) {
	keywords := snap.usedKeywords
	flags := `\Answered \Flagged \Deleted \Seen \Draft`
	for _, k := range keywords {
		flags += " " + k
	}
	s.w.raw("* FLAGS (" + flags + ")\r\n")
	if v.readOnly {
		s.w.status("*", respOKCode("PERMANENTFLAGS ()", "Read-only mailbox"))
	} else {
		s.w.status("*", respOKCode(`PERMANENTFLAGS (`+flags+` \*)`, "Flags permitted"))
	}
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
	if s.condstore {
		s.w.status("*", respOKCode("HIGHESTMODSEQ "+utoa(uint64(v.mb.HighestModSeq)), "Highest"))
	}
	if s.rev2 {
		s.w.raw(`* LIST () "` + store.HierarchySep + `" `)
		s.writeMailbox(v.mb.Name)
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

// writeFlagsFetch writes "* n FETCH (UID u FLAGS (...) [MODSEQ (m)])".
// recentFlag reports whether FETCH FLAGS lists \Recent for a message:
// only for IMAP4rev1 clients (RFC 3501 §2.3.2); IMAP4rev2 dropped the
// flag (RFC 9051 §2.3.2, Appendix E), so a session that enabled it never
// sees it.
func (s *session) recentFlag(uid store.UID) bool {
	return !s.rev2 && s.v.recent[uid]
}

func (s *session) writeFlagsFetch(seq int, m store.Message) {
	s.w.raw("* ")
	s.w.num(uint64(seq))
	s.w.raw(" FETCH (UID ")
	s.w.num32(uint32(m.UID))
	s.w.raw(" FLAGS ")
	s.w.raw(imapmsg.FlagsList(m.Flags, m.Keywords, s.recentFlag(m.UID)))
	if s.condstore {
		s.w.raw(" MODSEQ (")
		s.w.num(uint64(m.ModSeq))
		s.w.byte(')')
	}
	s.w.raw(")\r\n")
}

func (s *session) cmdClose(_ *command) status {
	v := s.v
	if !v.readOnly {
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
	return respOK("CLOSE completed")
}

func (s *session) cmdUnselect(_ *command) status {
	s.v, s.state = nil, stateAuth
	return respOK("UNSELECT completed")
}
