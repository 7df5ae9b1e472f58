package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// statusArgs are STATUS's mailbox and items (upper case).
type statusArgs struct {
	mailbox string
	items   []string
}

func parseStatus(_ *session, r *reader, _ *command, a *statusArgs) error {
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	a.items, err = r.statusItems()
	return err
}

// statusItems reads "(" status-att *(SP status-att) ")".
func (r *reader) statusItems() ([]string, error) {
	items := []string{}
	err := r.list(func() error {
		a, err := r.atom()
		if err != nil {
			return err
		}
		a = strings.ToUpper(a)
		if !validStatusItem(a) {
			return errSyntax("Unknown STATUS item")
		}
		items = append(items, a)
		return nil
	})
	if err == nil && len(items) == 0 {
		err = errSyntax("STATUS needs items")
	}
	return items, err
}

func validStatusItem(a string) bool {
	switch a {
	case "MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "APPENDLIMIT":
		return true
	case "MAILBOXID": // RFC 8474 §4.3
		return true
	}
	return false
}

// cmdStatus answers STATUS (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162
// HIGHESTMODSEQ, RFC 7889 APPENDLIMIT).
func (s *session) cmdStatus(_ *command, a *statusArgs) status {
	t, st, ok := s.resolve(a.mailbox, imapacl.Status) // RFC 4314 §4: r
	if !ok {
		return st
	}
	if st := s.writeStatusAs(t.mb, t.name(), a.items); st.kind != "" {
		return st
	}
	return respOK("STATUS completed")
}

// writeStatus writes one STATUS response; a non-empty status is a failure.
func (s *session) writeStatus(mb store.Mailbox, items []string) status {
	return s.writeStatusAs(mb, mb.Name, items)
}

// writeStatusAs is writeStatus under the session's name of the mailbox
// (a shared one's, acl.go).
func (s *session) writeStatusAs(mb store.Mailbox, name string, items []string) status {
	var deleted, recent int64
	for _, it := range items {
		switch it {
		case "HIGHESTMODSEQ":
			s.enableCondstore()
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
	s.writeMailbox(name)
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
		case "MAILBOXID":
			s.w.raw("(" + mailboxObjectID(mb) + ")")
		}
	}
	s.w.raw(")\r\n")
	return status{}
}
