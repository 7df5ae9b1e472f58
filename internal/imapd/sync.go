package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// drainFeed takes the change feed's pending events and marks the view
// dirty when one concerns the selected mailbox.
func (s *session) drainFeed() {
	if s.sub == nil {
		return
	}
	s.drainOwnerFeed()
	events, overflow := s.sub.Events()
	if s.notify != nil {
		s.notify.note(events, overflow, s.selectedID())
	}
	if s.v == nil {
		return
	}
	if overflow {
		s.v.dirty = true
	}
	for _, ev := range events {
		if ev.Mailbox == s.v.mb.ID {
			s.v.dirty = true
		}
	}
}

// updates sends the changes of the selected mailbox that the client has
// not seen: EXPUNGE or VANISHED (when allowExpunge), EXISTS (and RECENT for
// IMAP4rev1), and FETCH FLAGS (RFC 9051 §7.5, RFC 7162 §3.2.10). It
// returns false when the mailbox is gone and the session must end.
func (s *session) updates(allowExpunge bool) bool {
	s.drainFeed()
	v := s.v
	if !v.dirty && !(allowExpunge && (len(v.pendingExp) > 0 || len(v.touched) > 0)) {
		return true
	}
	// Revoked meanwhile (acl.go): not even the counts. Read again here,
	// as IDLE and NOTIFY send updates without a command before them.
	if !s.refreshRights() || !v.rights.Has(imapacl.Read) {
		return true
	}
	mb, err := s.srv.st.MailboxByID(s.ctx, v.mb.Account, v.mb.ID)
	if store.IsKind(err, store.KindNotFound) {
		s.w.status("*", status{kind: "BYE", text: "Selected mailbox was deleted"})
		s.state = stateLogout
		return false
	}
	if err != nil {
		s.log.Warn("mailbox update failed", "err", err)
		return true
	}
	known := len(v.uids)
	added, err := s.collectChanges(mb)
	if err != nil {
		s.log.Warn("mailbox update failed", "err", err)
		return true
	}
	newUIDs := v.uids[known:]
	// RFC 6851 §3.3: the expunges come before the EXISTS (a MOVE into the
	// selected mailbox), so EXISTS counts what remains.
	if allowExpunge {
		s.contextExpunges() // RFC 5267 §4.3: while the numbers hold
		s.sendExpunges()
	}
	if added {
		s.w.raw("* " + itoa(len(v.uids)) + " EXISTS\r\n")
		if !s.rev2 {
			s.w.raw("* " + itoa(len(v.recent)) + " RECENT\r\n")
		}
		s.notifyFetchNew(newUIDs) // RFC 5465 §5.2
	}
	if allowExpunge {
		s.contextUpdates()
	}
	return true
}

// collectChanges reads what changed since v.modseq: expunges (kept
// pending), new messages (added to the view; true when there are some, for
// the caller's EXISTS) and flag changes (FETCH, written here).
func (s *session) collectChanges(mb store.Mailbox) (bool, error) {
	v := s.v
	var changed []store.Message
	if mb.HighestModSeq > v.modseq {
		gone, err := s.srv.st.ExpungedSince(s.ctx, mb.ID, v.modseq)
		if err != nil {
			return false, err
		}
		for _, u := range gone {
			if v.seqOf(u) > 0 {
				v.pendingExp[u] = true
			}
		}
		if changed, err = s.srv.st.ChangedSince(s.ctx, mb.ID, v.modseq); err != nil {
			return false, err
		}
	}
	last := v.lastUID()
	var added []store.Message
	// Nothing above the view's last UID when UIDNEXT says so (the record
	// read with the mailbox: a message added since makes the view dirty
	// again, and the next update reads it): one query fewer after each
	// STORE and EXPUNGE.
	if mb.UIDNext == 0 || mb.UIDNext > last+1 {
		var err error
		if added, err = s.srv.st.Messages(s.ctx, mb.ID, last+1, 0); err != nil {
			return false, err
		}
	}
	for _, m := range changed {
		if m.UID > last || v.pendingExp[m.UID] {
			continue
		}
		v.noteTouched(m.UID)
		if sent, ok := v.sentFlags[m.UID]; ok && sent >= m.ModSeq {
			continue
		}
		if seq := v.seqOf(m.UID); seq > 0 {
			s.writeFlagsFetch(seq, m)
		}
	}
	if len(added) > 0 {
		uids := make([]store.UID, len(added))
		for i, m := range added {
			uids[i] = m.UID
		}
		v.uids = append(v.uids, uids...)
		v.noteTouched(uids...)
		for _, u := range s.srv.recent.claim(mb.ID, uids, !v.readOnly) {
			v.recent[u] = true
		}
	}
	v.modseq = max(v.modseq, mb.HighestModSeq)
	v.mb.HighestModSeq = v.modseq
	v.mb.Name = mb.Name
	clear(v.sentFlags)
	v.dirty = false
	return len(added) > 0, nil
}

// sendExpunges announces the pending expunges: VANISHED once QRESYNC is
// enabled (RFC 7162 §3.2.10), else one EXPUNGE per message, highest
// sequence number first so that each number is valid when it is read.
func (s *session) sendExpunges() {
	v := s.v
	if len(v.pendingExp) == 0 {
		return
	}
	var gone []store.UID
	kept := make([]store.UID, 0, len(v.uids)) // v.uids may be shared
	var seqs []int
	for i, u := range v.uids {
		if v.pendingExp[u] {
			gone = append(gone, u)
			seqs = append(seqs, i+1)
			delete(v.recent, u)
			continue
		}
		kept = append(kept, u)
	}
	v.uids = kept
	clear(v.pendingExp)
	if len(v.saved) > 0 {
		v.saved = removeUIDs(v.saved, gone)
	}
	if s.qresync || s.uidOnly { // RFC 9586 §3.2
		s.w.raw("* VANISHED " + formatNums(gone) + "\r\n")
		return
	}
	for i := len(seqs) - 1; i >= 0; i-- {
		s.w.raw("* " + itoa(seqs[i]) + " EXPUNGE\r\n")
	}
}

// removeUIDs returns a without the members of b (both ascending).
func removeUIDs(a, b []store.UID) []store.UID {
	out := a[:0]
	j := 0
	for _, u := range a {
		for j < len(b) && b[j] < u {
			j++
		}
		if j < len(b) && b[j] == u {
			continue
		}
		out = append(out, u)
	}
	return out
}
