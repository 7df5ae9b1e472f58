package imapd

import "github.com/petrelmail/petrel/internal/imapacl"

// Quota (RFC 9208): one quota root, "", for the whole account.
// GETQUOTAROOT and GETQUOTA take a mailboxArg.

// cmdGetQuotaRoot answers GETQUOTAROOT (RFC 9208).
func (s *session) cmdGetQuotaRoot(_ *command, a *mailboxArg) status {
	t, st, ok := s.resolve(a.mailbox, imapacl.Status)
	if !ok {
		return st
	}
	s.w.raw("* QUOTAROOT ")
	s.writeMailbox(t.name())
	if t.owner != "" { // another account's quota is not the session's to see
		s.w.crlf()
		return respOK("GETQUOTAROOT completed")
	}
	s.w.raw(` ""` + "\r\n")
	if st := s.writeQuota(); st.kind != "" {
		return st
	}
	return respOK("GETQUOTAROOT completed")
}

// cmdGetQuota answers GETQUOTA (RFC 9208).
func (s *session) cmdGetQuota(_ *command, a *mailboxArg) status {
	if a.mailbox != "" {
		return respNOCode("NONEXISTENT", "No such quota root")
	}
	if st := s.writeQuota(); st.kind != "" {
		return st
	}
	return respOK("GETQUOTA completed")
}

// writeQuota writes the account's resources that have a limit; STORAGE is
// in units of 1024 octets (RFC 9208 §5.1).
func (s *session) writeQuota() status {
	q, err := s.srv.st.Quota(s.ctx, s.acct.ID)
	if err != nil {
		return s.storeError("quota", err)
	}
	s.w.raw(`* QUOTA "" (`)
	sep := ""
	if q.MaxBytes > 0 {
		s.w.raw("STORAGE ")
		s.w.int((q.UsedBytes + 1023) / 1024)
		s.w.byte(' ')
		s.w.int(q.MaxBytes / 1024)
		sep = " "
	}
	if q.MaxMessages > 0 {
		s.w.raw(sep + "MESSAGE ")
		s.w.int(q.UsedMessages)
		s.w.byte(' ')
		s.w.int(q.MaxMessages)
	}
	s.w.raw(")\r\n")
	return status{}
}
