package imapd

import (
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/store"
)

// mailboxName turns a mailbox name as the client sent it into the stored
// form: modified UTF-7 decoded for IMAP4rev1 clients (RFC 3501 §5.1.3),
// "INBOX" case-insensitive (RFC 9051 §5.1), a trailing separator dropped.
func (s *session) mailboxName(raw string) (string, bool) {
	name := raw
	if !s.utf8 {
		var ok bool
		if name, ok = decodeMUTF7(raw); !ok {
			return "", false
		}
	}
	if !utf8.ValidString(name) {
		return "", false
	}
	name = strings.TrimSuffix(name, store.HierarchySep)
	first, rest, found := strings.Cut(name, store.HierarchySep)
	if strings.EqualFold(first, store.InboxName) {
		name = store.InboxName
		if found {
			name += store.HierarchySep + rest
		}
	}
	return name, name != ""
}

// writeMailbox writes a stored name as the client expects it.
func (s *session) writeMailbox(name string) {
	if !s.utf8 {
		name = encodeMUTF7(name)
	}
	s.w.astring(name, s.utf8)
}

var badName = respNO("Invalid mailbox name")

// lookup finds a mailbox by its client-side name.
func (s *session) lookup(raw string) (store.Mailbox, status, bool) {
	name, ok := s.mailboxName(raw)
	if !ok {
		return store.Mailbox{}, respNOCode("NONEXISTENT", "Invalid mailbox name"), false
	}
	mb, err := s.srv.st.Mailbox(s.ctx, s.acct.ID, name)
	if err != nil {
		return mb, s.storeError("mailbox", err), false
	}
	return mb, status{}, true
}

// cmdCreate creates a mailbox with an optional special use (RFC 6154 §3).
func (s *session) cmdCreate(c *command) status {
	name, ok := s.mailboxName(c.mailbox)
	if !ok {
		return badName
	}
	if name == store.InboxName {
		return respNOCode("ALREADYEXISTS", "INBOX always exists")
	}
	use := store.UseNone
	switch len(c.atoms) {
	case 0:
	case 1:
		use = specialUseOf(c.atoms[0])
		if use == store.UseNone {
			return respNOCode("USEATTR", "Unsupported special-use attribute")
		}
	default:
		return respNOCode("USEATTR", "Only one special-use attribute per mailbox")
	}
	if _, err := s.srv.st.CreateMailbox(s.ctx, s.acct.ID, name, use); err != nil {
		return s.storeError("create", err)
	}
	return respOK("CREATE completed")
}

func specialUseOf(attr string) store.SpecialUse {
	for _, u := range []store.SpecialUse{store.UseAll, store.UseArchive, store.UseDrafts,
		store.UseFlagged, store.UseJunk, store.UseSent, store.UseTrash} {
		if strings.EqualFold(attr, string(u)) {
			return u
		}
	}
	return store.UseNone
}

func (s *session) cmdDelete(c *command) status {
	name, ok := s.mailboxName(c.mailbox)
	if !ok {
		return badName
	}
	if name == store.InboxName {
		return respNOCode("CANNOT", "INBOX cannot be deleted")
	}
	if err := s.srv.st.DeleteMailbox(s.ctx, s.acct.ID, name); err != nil {
		return s.storeError("delete", err)
	}
	return respOK("DELETE completed")
}

func (s *session) cmdRename(c *command) status {
	from, ok1 := s.mailboxName(c.mailbox)
	to, ok2 := s.mailboxName(c.mailbox2)
	if !ok1 || !ok2 {
		return badName
	}
	if to == store.InboxName {
		return respNOCode("ALREADYEXISTS", "INBOX always exists")
	}
	if err := s.srv.st.RenameMailbox(s.ctx, s.acct.ID, from, to); err != nil {
		return s.storeError("rename", err)
	}
	return respOK("RENAME completed")
}

func (s *session) cmdSubscribe(c *command) status {
	name, ok := s.mailboxName(c.mailbox)
	if !ok {
		return badName
	}
	on := c.name == "SUBSCRIBE"
	if on {
		if _, err := s.srv.st.Mailbox(s.ctx, s.acct.ID, name); err != nil {
			return s.storeError("subscribe", err)
		}
	}
	if err := s.srv.st.SetSubscribed(s.ctx, s.acct.ID, name, on); err != nil {
		return s.storeError("subscribe", err)
	}
	return respOK(c.name + " completed")
}

// cmdStatus answers STATUS (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162
// HIGHESTMODSEQ, RFC 7889 APPENDLIMIT).
func (s *session) cmdStatus(c *command) status {
	mb, st, ok := s.lookup(c.mailbox)
	if !ok {
		return st
	}
	if st := s.writeStatus(mb, c.atoms); st.kind != "" {
		return st
	}
	return respOK("STATUS completed")
}

// writeStatus writes one STATUS response; a non-empty status is a failure.
func (s *session) writeStatus(mb store.Mailbox, items []string) status {
	var deleted, recent int64
	for _, it := range items {
		switch it {
		case "HIGHESTMODSEQ":
			s.condstore = true
		case "DELETED", "RECENT":
			msgs, err := s.srv.st.Messages(s.ctx, mb.ID, 1, 0)
			if err != nil {
				return s.storeError("status", err)
			}
			uids := make([]store.UID, 0, len(msgs))
			for _, m := range msgs {
				if m.Flags&store.FlagDeleted != 0 {
					deleted++
				}
				uids = append(uids, m.UID)
			}
			recent = int64(len(s.srv.recent.claim(mb.ID, uids, false)))
		}
	}
	s.w.raw("* STATUS ")
	s.writeMailbox(mb.Name)
	s.w.raw(" (")
	for i, it := range items {
		if i > 0 {
			s.w.byte(' ')
		}
		s.w.raw(it + " ")
		switch it {
		case "MESSAGES":
			s.w.int(mb.Messages)
		case "UIDNEXT":
			s.w.num32(uint32(mb.UIDNext))
		case "UIDVALIDITY":
			s.w.num32(mb.UIDValidity)
		case "UNSEEN":
			s.w.int(mb.Unseen)
		case "DELETED":
			s.w.int(deleted)
		case "SIZE":
			s.w.int(mb.Size)
		case "RECENT":
			s.w.int(recent)
		case "HIGHESTMODSEQ":
			s.w.num(uint64(mb.HighestModSeq))
		case "APPENDLIMIT":
			s.w.int(s.srv.cfg.MaxMessageSize)
		}
	}
	s.w.raw(")\r\n")
	return status{}
}

// Quota (RFC 9208): one quota root, "", for the whole account.
func (s *session) cmdGetQuotaRoot(c *command) status {
	mb, st, ok := s.lookup(c.mailbox)
	if !ok {
		return st
	}
	s.w.raw("* QUOTAROOT ")
	s.writeMailbox(mb.Name)
	s.w.raw(` ""` + "\r\n")
	if st := s.writeQuota(); st.kind != "" {
		return st
	}
	return respOK("GETQUOTAROOT completed")
}

func (s *session) cmdGetQuota(c *command) status {
	if c.mailbox != "" {
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
