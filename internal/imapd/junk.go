package imapd

import "github.com/petrelmail/petrel/internal/store"

// JunkReporter hears of the messages a user files into the Junk mailbox
// (RFC 6154 \Junk) or takes out of it with MOVE or COPY (package rspamd's
// Learner teaches them to the content filter, README "Spam and abuse").
// Report must not block: the command's answer does not wait for it.
type JunkReporter interface {
	// Report names the messages where they are now (mailbox, uids) and
	// the account's address; spam is true into Junk, false out of it.
	Report(user string, mailbox store.MailboxID, uids []store.UID, spam bool)
}

// reportJunk tells Deps.Junk of a MOVE or COPY into Junk (spam) or out
// of Junk into a mailbox other than Trash (ham: deleting a junk message
// says nothing of it).
func (s *session) reportJunk(dst store.Mailbox, res store.CopyResult) {
	if s.srv.junk == nil || len(res.Dst) == 0 {
		return
	}
	from, to := s.v.mb.SpecialUse == store.UseJunk, dst.SpecialUse == store.UseJunk
	switch {
	case to && !from:
		s.srv.junk.Report(s.acct.Address, dst.ID, res.Dst, true)
	case from && !to && dst.SpecialUse != store.UseTrash:
		s.srv.junk.Report(s.acct.Address, dst.ID, res.Dst, false)
	}
}
