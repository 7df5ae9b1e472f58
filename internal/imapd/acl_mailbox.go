package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// CREATE, DELETE, RENAME and SUBSCRIBE on names of the "Other Users"
// namespace (acl.go): the owner's mailboxes, with the rights of RFC 4314
// §4 ("k" on the parent, "x", "l").

// createShared creates owner's mailbox rest, with "k" on its parent; the
// new mailbox gets its parent's entries (RFC 4314 leaves a new mailbox's
// ACL to the server: inheriting them keeps it visible to whoever could
// create it). A special-use attribute is the owner's alone to give:
// delivery files junk into the account's \Junk mailbox (docs/flow.md),
// and one made here would inherit the grantee's "r".
func (s *session) createShared(owner, rest string, use store.SpecialUse) status {
	if owner == "" { // "Other Users//...": sharedName would give an own name
		return noMailbox
	}
	parent := parentOf(rest)
	if parent == "" {
		return respNOCode("NOPERM", "Permission denied: no mailbox may be created at the top of another user's mailboxes")
	}
	p, st, ok := s.resolveName(sharedName(owner, parent), imapacl.Create)
	if !ok {
		return st
	}
	if use != store.UseNone {
		return respNOCode("NOPERM", "Permission denied: only the owner gives special-use attributes")
	}
	mb, err := s.srv.st.CreateMailbox(s.ctx, p.mb.Account, rest, use)
	if err != nil {
		return s.storeError("create", err)
	}
	entries, err := s.srv.acl.MailboxRights(s.ctx, p.mb.ID)
	if err != nil {
		return s.storeError("create", err)
	}
	for _, e := range entries {
		if err := s.srv.acl.SetRights(s.ctx, mb.ID, e.Grantee, e.Rights); err != nil {
			return s.storeError("create", err)
		}
	}
	return respOKCode(mailboxIDCode(mb), "CREATE completed") // RFC 8474 §4.1
}

// deleteShared deletes a shared mailbox, with "x".
func (s *session) deleteShared(name string) status {
	t, st, ok := s.resolveName(name, imapacl.Delete)
	if !ok {
		return st
	}
	if t.mb.Name == store.InboxName {
		return respNOCode("CANNOT", "INBOX cannot be deleted")
	}
	if err := s.srv.st.DeleteMailbox(s.ctx, t.mb.Account, t.mb.Name); err != nil {
		return s.storeError("delete", err)
	}
	return respOK("DELETE completed")
}

// renameShared renames within one owner's mailboxes: "x" on the old
// name, "k" on the new parent (RFC 4314 §4). A rename between accounts
// is refused.
func (s *session) renameShared(from, to string) status {
	fromOwner, _, fromShared := s.splitShared(from)
	toOwner, toRest, toShared := s.splitShared(to)
	if !fromShared {
		// The session's own mailbox cannot go to another account; the
		// source must exist for that answer.
		if _, st, ok := s.resolveName(from, imapacl.RenameFrom); !ok {
			return st
		}
		return respNOCode("CANNOT", "A mailbox cannot be renamed into another user's mailboxes")
	}
	src, st, ok := s.resolveName(from, imapacl.RenameFrom)
	if !ok {
		return st
	}
	if !toShared || toOwner != fromOwner {
		return respNOCode("CANNOT", "A mailbox cannot be renamed out of its owner's mailboxes")
	}
	parent := parentOf(toRest)
	if parent == "" {
		return respNOCode("NOPERM", "Permission denied: no mailbox may be renamed to the top of another user's mailboxes")
	}
	if _, st, ok := s.resolveName(sharedName(toOwner, parent), imapacl.RenameTo); !ok {
		return st
	}
	if toRest == store.InboxName {
		return respNOCode("ALREADYEXISTS", "INBOX always exists")
	}
	if err := s.srv.st.RenameMailbox(s.ctx, src.mb.Account, src.mb.Name, toRest); err != nil {
		return s.storeError("rename", err)
	}
	return respOK("RENAME completed")
}
