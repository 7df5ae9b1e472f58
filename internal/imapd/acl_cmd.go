package imapd

import (
	"errors"

	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// The ACL commands of RFC 4314 §3: SETACL, DELETEACL, GETACL, LISTRIGHTS
// and MYRIGHTS, on the session's mailboxes and the shared ones (acl.go).
// Identifiers are account addresses and "anyone" (the owner's domain);
// negative rights are refused.

// aclArgs are the arguments of the ACL commands: a mailbox, and for some
// an identifier and rights.
type aclArgs struct {
	mailbox, identifier string
	mod                 imapacl.Modification
}

// parseACLMailbox reads GETACL's and MYRIGHTS's mailbox.
func parseACLMailbox(_ *session, r *reader, _ *command, a *aclArgs) error {
	return r.mailboxArg(&a.mailbox)
}

// parseACLIdentifier reads DELETEACL's and LISTRIGHTS's mailbox and
// identifier.
func parseACLIdentifier(_ *session, r *reader, _ *command, a *aclArgs) error {
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	a.identifier, err = r.astring()
	return err
}

// parseSetACL reads SETACL mailbox identifier rights; an unknown right is
// BAD (RFC 4314 §3.1: never silently ignored).
func parseSetACL(s *session, r *reader, c *command, a *aclArgs) error {
	if err := parseACLIdentifier(s, r, c, a); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	rights, err := r.astring()
	if err != nil {
		return err
	}
	if a.mod, err = imapacl.ParseModification(rights); err != nil {
		return errSyntax("Unknown right (the rights are lrswipkxtea, c and d)")
	}
	return nil
}

// cmdSetACL answers SETACL and DELETEACL (RFC 4314 §3.1, §3.2): "a" on
// the mailbox.
func (s *session) cmdSetACL(c *command, a *aclArgs) status {
	if s.srv.acl == nil {
		return noSharing
	}
	t, st, ok := s.resolve(a.mailbox, imapacl.ACLAdmin)
	if !ok {
		return st
	}
	grantee, st := s.grantee(t, a.identifier)
	if st.kind != "" {
		return st
	}
	if grantee == t.mb.Account {
		return respNOCode("CANNOT", "The owner always has all rights; they cannot be changed")
	}
	old, err := s.entryRights(t.mb, grantee)
	if err != nil {
		return s.storeError("setacl", err)
	}
	mod := a.mod // DELETEACL: the zero Modification, which replaces with none
	if err := s.srv.acl.SetRights(s.ctx, t.mb.ID, grantee, mod.Apply(old).String()); err != nil {
		return s.storeError("setacl", err)
	}
	return respOK(c.name + " completed")
}

var noSharing = respNOCode("CANNOT", "Mailboxes are not shared on this server")

// grantee finds the account an identifier names (store.Anyone for
// "anyone"); negative rights (RFC 4314 §2, optional) are refused.
func (s *session) grantee(t target, ident string) (store.AccountID, status) {
	id, err := imapacl.ParseIdentifier(ident)
	switch {
	case errors.Is(err, imapacl.ErrNegative):
		return 0, respNOCode("CANNOT", "Negative rights are not supported")
	case err != nil:
		return 0, respNO("Identifiers are account addresses and \"anyone\"")
	case id.Anyone:
		return store.Anyone, status{}
	}
	acct, err := s.srv.acl.LookupAddress(s.ctx, canonicalAddress(id.Address))
	if store.IsKind(err, store.KindNotFound) {
		return 0, respNO("No such account: " + id.Address)
	}
	if err != nil {
		return 0, s.storeError("setacl", err)
	}
	return acct, status{}
}

// entryRights returns grantee's entry on mb (none when it has none).
func (s *session) entryRights(mb store.Mailbox, grantee store.AccountID) (imapacl.Rights, error) {
	entries, err := s.srv.acl.MailboxRights(s.ctx, mb.ID)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if e.Grantee == grantee {
			r, _ := imapacl.Parse(e.Rights)
			return r, nil
		}
	}
	return 0, nil
}

// cmdGetACL answers GETACL (RFC 4314 §3.3): "a"; the owner is listed
// first with all rights, then "anyone", then the accounts.
func (s *session) cmdGetACL(_ *command, a *aclArgs) status {
	if s.srv.acl == nil {
		return noSharing
	}
	t, st, ok := s.resolve(a.mailbox, imapacl.ACLAdmin)
	if !ok {
		return st
	}
	entries, err := s.srv.acl.MailboxRights(s.ctx, t.mb.ID)
	if err != nil {
		return s.storeError("getacl", err)
	}
	owner, err := s.srv.acl.Account(s.ctx, t.mb.Account)
	if err != nil {
		return s.storeError("getacl", err)
	}
	s.w.raw("* ACL ")
	s.writeMailbox(t.name())
	s.aclPair(owner.Address, imapacl.All)
	for _, e := range entries {
		name := imapacl.Anyone
		if e.Grantee != store.Anyone {
			acct, err := s.srv.acl.Account(s.ctx, e.Grantee)
			if err != nil {
				return s.storeError("getacl", err)
			}
			name = acct.Address
		}
		r, _ := imapacl.Parse(e.Rights)
		s.aclPair(name, r)
	}
	s.w.crlf()
	return respOK("GETACL completed")
}

// aclPair writes SP identifier SP rights.
func (s *session) aclPair(ident string, r imapacl.Rights) {
	s.w.byte(' ')
	s.w.astring(ident, s.utf8)
	s.w.byte(' ')
	s.w.astring(r.Wire(), false)
}

// cmdListRights answers LISTRIGHTS (RFC 4314 §3.4): "a"; the owner's
// rights are all required, anyone else's each optional.
func (s *session) cmdListRights(_ *command, a *aclArgs) status {
	if s.srv.acl == nil {
		return noSharing
	}
	t, st, ok := s.resolve(a.mailbox, imapacl.ACLAdmin)
	if !ok {
		return st
	}
	ownerIdent := false
	if id, err := imapacl.ParseIdentifier(a.identifier); err == nil && !id.Anyone {
		acct, err := s.srv.acl.LookupAddress(s.ctx, canonicalAddress(id.Address))
		ownerIdent = err == nil && acct == t.mb.Account
	}
	s.w.raw("* LISTRIGHTS ")
	s.writeMailbox(t.name())
	s.w.byte(' ')
	s.w.astring(a.identifier, s.utf8)
	if ownerIdent {
		s.w.raw(" " + imapacl.All.Wire() + "\r\n")
		return respOK("LISTRIGHTS completed")
	}
	s.w.raw(` ""`)
	for _, g := range imapacl.ListRights() {
		s.w.raw(" " + g)
	}
	s.w.crlf()
	return respOK("LISTRIGHTS completed")
}

// cmdMyRights answers MYRIGHTS (RFC 4314 §3.5): any right.
func (s *session) cmdMyRights(_ *command, a *aclArgs) status {
	t, st, ok := s.resolve(a.mailbox, imapacl.MyRights)
	if !ok {
		return st
	}
	s.writeMyRights(t.name(), t.rights)
	return respOK("MYRIGHTS completed")
}

// writeMyRights writes * MYRIGHTS name rights (RFC 4314 §3.8; RFC 8440
// §3 after a LIST response).
func (s *session) writeMyRights(name string, r imapacl.Rights) {
	s.w.raw("* MYRIGHTS ")
	s.writeMailbox(name)
	s.w.byte(' ')
	s.w.astring(r.Wire(), false)
	s.w.crlf()
}

// listShared adds the shared mailboxes the session may list ("l", RFC
// 4314 §4) to LIST's entries, under "Other Users".
func (s *session) listShared(get func(string) *listEntry) error {
	if s.srv.acl == nil {
		return nil
	}
	shared, err := s.srv.acl.SharedWith(s.ctx, s.acct.ID, domainOf(s.acct.Address))
	if err != nil {
		return err
	}
	for i := range shared {
		sm := &shared[i]
		r, _ := imapacl.Parse(sm.Rights)
		if !r.Has(imapacl.Lookup) {
			continue
		}
		e := get(sharedName(sm.Owner, sm.Mailbox.Name))
		e.mb, e.rights = &sm.Mailbox, r
	}
	return nil
}

// aclCaps are the capabilities of shared mailboxes (RFC 4314 §2.1.1 ACL
// and RIGHTS=, RFC 8440 LIST-MYRIGHTS), when the server has an ACL store.
func (s *session) aclCaps() string {
	if s.srv.acl == nil {
		return ""
	}
	return " ACL " + imapacl.Capability + " LIST-MYRIGHTS"
}

// namespaces is NAMESPACE's answer (RFC 2342 §5): the personal namespace,
// and "Other Users" when mailboxes may be shared.
func (s *session) namespaces() string {
	other := "NIL"
	if s.srv.acl != nil {
		other = `(("` + otherUsers + store.HierarchySep + `" "` + store.HierarchySep + `"))`
	}
	return `* NAMESPACE (("" "` + store.HierarchySep + `")) ` + other + " NIL\r\n"
}
