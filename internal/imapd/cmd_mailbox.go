package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.4 to
// §6.3.8).

// createArgs are CREATE's name and USE attributes (RFC 6154 §3).
type createArgs struct {
	mailbox string
	use     []string
}

// parseCreate reads CREATE mailbox [(USE (\attr ...))] (RFC 6154 §3).
func parseCreate(_ *session, r *reader, _ *command, a *createArgs) error {
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	return r.optionalList(func() error {
		at, err := r.atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(at, "USE") {
			return errSyntax("Unknown CREATE parameter")
		}
		if err := r.sp(); err != nil {
			return err
		}
		return r.list(func() error {
			f, err := r.flag()
			a.use = append(a.use, f)
			return err
		})
	})
}

// cmdCreate creates a mailbox with an optional special use (RFC 6154 §3).
func (s *session) cmdCreate(_ *command, a *createArgs) status {
	name, ok := s.mailboxName(a.mailbox)
	if !ok {
		return badName
	}
	if name == store.InboxName {
		return respNOCode("ALREADYEXISTS", "INBOX always exists")
	}
	use := store.UseNone
	switch len(a.use) {
	case 0:
	case 1:
		use = specialUseOf(a.use[0])
		if use == store.UseNone {
			return respNOCode("USEATTR", "Unsupported special-use attribute")
		}
	default:
		return respNOCode("USEATTR", "Only one special-use attribute per mailbox")
	}
	if owner, rest, shared := s.splitShared(name); shared { // acl_mailbox.go
		return s.createShared(owner, rest, use)
	}
	mb, err := s.srv.st.CreateMailbox(s.ctx, s.acct.ID, name, use)
	if err != nil {
		return s.storeError("create", err)
	}
	return respOKCode(mailboxIDCode(mb), "CREATE completed") // RFC 8474 §4.1
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

func (s *session) cmdDelete(_ *command, a *mailboxArg) status {
	name, ok := s.mailboxName(a.mailbox)
	if !ok {
		return badName
	}
	if name == store.InboxName {
		return respNOCode("CANNOT", "INBOX cannot be deleted")
	}
	if _, _, shared := s.splitShared(name); shared { // acl_mailbox.go
		return s.deleteShared(name)
	}
	mb, err := s.srv.st.Mailbox(s.ctx, s.acct.ID, name)
	if err != nil {
		return s.storeError("delete", err)
	}
	if err := s.srv.st.DeleteMailbox(s.ctx, s.acct.ID, name); err != nil {
		return s.storeError("delete", err)
	}
	s.dropMeta(mb) // RFC 5464 §3.1
	return respOK("DELETE completed")
}

// renameArgs are RENAME's source and target names.
type renameArgs struct{ from, to string }

func parseRename(_ *session, r *reader, _ *command, a *renameArgs) error {
	if err := r.mailboxArg(&a.from); err != nil {
		return err
	}
	return r.mailboxArg(&a.to)
}

func (s *session) cmdRename(_ *command, a *renameArgs) status {
	from, ok1 := s.mailboxName(a.from)
	to, ok2 := s.mailboxName(a.to)
	if !ok1 || !ok2 {
		return badName
	}
	if to == store.InboxName {
		return respNOCode("ALREADYEXISTS", "INBOX always exists")
	}
	_, _, fromShared := s.splitShared(from)
	if _, _, toShared := s.splitShared(to); fromShared || toShared { // acl_mailbox.go
		return s.renameShared(from, to)
	}
	if err := s.srv.st.RenameMailbox(s.ctx, s.acct.ID, from, to); err != nil {
		return s.storeError("rename", err)
	}
	return respOK("RENAME completed")
}

// cmdSubscribe answers SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7,
// §6.3.8).
func (s *session) cmdSubscribe(c *command, a *mailboxArg) status {
	name, ok := s.mailboxName(a.mailbox)
	if !ok {
		return badName
	}
	on := c.name == "SUBSCRIBE"
	if on {
		// RFC 4314 §4: "l" on a shared mailbox (acl.go).
		if _, st, ok := s.resolveName(name, imapacl.Subscribe); !ok {
			return st
		}
	}
	if err := s.srv.st.SetSubscribed(s.ctx, s.acct.ID, name, on); err != nil {
		return s.storeError("subscribe", err)
	}
	return respOK(c.name + " completed")
}
