package imapd

import (
	"context"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"strings"

	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// Shared mailboxes (RFC 4314 ACL, RFC 2342 "Other Users" namespace; README
// "Shared mailboxes"). A mailbox another account shares is named
// "Other Users/<owner address>/<its name>"; every command on it checks the
// session's rights by the table of package imapacl (RFC 4314 §4).

// ACLStore is the part of the storage API shared mailboxes use: the
// entries (store.ACL) and the accounts that identifiers name.
type ACLStore interface {
	store.ACL
	LookupAddress(ctx context.Context, address string) (store.AccountID, error)
	Account(ctx context.Context, id store.AccountID) (store.Account, error)
}

// otherUsers is the prefix of the "Other Users" namespace (RFC 2342 §5).
const otherUsers = "Other Users"

// target is a mailbox a command names: the session's own (owner "") or
// another account's, with the session's rights on it.
type target struct {
	mb     store.Mailbox
	owner  string // the owner's address, for a shared mailbox
	rights imapacl.Rights
}

// name is the target's name as the session knows it (stored form).
func (t target) name() string { return sharedName(t.owner, t.mb.Name) }

// sharedName is a mailbox's name for its grantees; owner "": the
// session's own mailbox.
func sharedName(owner, name string) string {
	if owner == "" {
		return name
	}
	return otherUsers + store.HierarchySep + owner + store.HierarchySep + name
}

// splitShared splits a name of the "Other Users" namespace into the
// owner's address and the mailbox name ("" for the namespace itself or an
// owner's level); ok is false for the session's own names, and always
// when the server has no ACL store.
func (s *session) splitShared(name string) (owner, rest string, ok bool) {
	if s.srv.acl == nil {
		return "", "", false
	}
	if name != otherUsers && !strings.HasPrefix(name, otherUsers+store.HierarchySep) {
		return "", "", false
	}
	tail := strings.TrimPrefix(strings.TrimPrefix(name, otherUsers), store.HierarchySep)
	owner, rest, _ = strings.Cut(tail, store.HierarchySep)
	first, after, found := strings.Cut(rest, store.HierarchySep)
	if strings.EqualFold(first, store.InboxName) { // RFC 9051 §5.1, in the owner's names too
		rest = store.InboxName
		if found {
			rest += store.HierarchySep + after
		}
	}
	return strings.ToLower(owner), rest, true
}

// resolve finds the mailbox a client-side name names and checks that the
// session's rights allow cmd on it. Without the rights it answers as RFC
// 4314 §4 and §6 say: NO [NONEXISTENT] when the user may not know that
// the mailbox exists (neither "l" nor "r"), else NO [NOPERM] (RFC 5530).
func (s *session) resolve(raw string, cmd imapacl.Command) (target, status, bool) {
	name, ok := s.mailboxName(raw)
	if !ok {
		return target{}, respNOCode("NONEXISTENT", "Invalid mailbox name"), false
	}
	return s.resolveName(name, cmd)
}

// resolveName is resolve on a decoded name.
func (s *session) resolveName(name string, cmd imapacl.Command) (target, status, bool) {
	owner, rest, shared := s.splitShared(name)
	if !shared {
		mb, err := s.srv.st.Mailbox(s.ctx, s.acct.ID, name)
		if err != nil {
			return target{}, s.storeError("mailbox", err), false
		}
		return target{mb: mb, rights: imapacl.All}, status{}, true
	}
	t, err := s.sharedTarget(owner, rest)
	if err != nil {
		return t, s.storeError("mailbox", err), false
	}
	if !imapacl.Allows(t.rights, cmd) {
		return t, denied(t.rights), false
	}
	return t, status{}, true
}

// denied is the answer to a command the rights do not allow.
func denied(r imapacl.Rights) status {
	if imapacl.Visible(r) {
		return respNOCode("NOPERM", "Permission denied")
	}
	return noMailbox
}

var noMailbox = respNOCode("NONEXISTENT", "No such mailbox")

// sharedTarget reads owner's mailbox rest and the session's rights on it;
// KindNotFound for a missing owner or mailbox, and for the session's own
// account (its names are not in this namespace).
func (s *session) sharedTarget(owner, rest string) (target, error) {
	notFound := store.Errorf(store.KindNotFound, "shared mailbox", "no such shared mailbox")
	if owner == "" || rest == "" {
		return target{}, notFound
	}
	id, err := s.srv.acl.LookupAddress(s.ctx, canonicalAddress(owner))
	if err != nil || id == s.acct.ID {
		return target{}, notFoundOr(err, notFound)
	}
	acct, err := s.srv.acl.Account(s.ctx, id)
	if err != nil {
		return target{}, err
	}
	mb, err := s.srv.st.Mailbox(s.ctx, id, rest)
	if err != nil {
		return target{}, err
	}
	rights, err := s.rightsOn(mb, acct.Address)
	return target{mb: mb, owner: acct.Address, rights: rights}, err
}

// canonicalAddress is the form the store finds an address by (mailaddr's
// canonical form); one that does not parse is returned as it is, and
// then names no account.
func canonicalAddress(addr string) string {
	a, err := mailaddr.Parse(addr)
	if err == nil {
		a, err = mailaddr.Canonical(a)
	}
	if err != nil {
		return addr
	}
	return a.String()
}

func notFoundOr(err, notFound error) error {
	if err == nil || store.IsKind(err, store.KindNotFound) {
		return notFound
	}
	return err
}

// rightsOn returns the session's rights on another account's mailbox:
// its own entry's, or else the "anyone" entry's when the owner is in the
// session's domain (store.SharedMailbox's rule).
func (s *session) rightsOn(mb store.Mailbox, owner string) (imapacl.Rights, error) {
	entries, err := s.srv.acl.MailboxRights(s.ctx, mb.ID)
	if err != nil {
		return 0, err
	}
	var own, anyone string
	for _, e := range entries {
		switch {
		case e.Grantee == s.acct.ID:
			own = e.Rights
		case e.Grantee == store.Anyone && sameDomain(owner, s.acct.Address):
			anyone = e.Rights
		}
	}
	if own == "" {
		own = anyone
	}
	r, _ := imapacl.Parse(own) // the store keeps the canonical form
	return r, nil
}

func sameDomain(a, b string) bool {
	return strings.EqualFold(domainOf(a), domainOf(b))
}

func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}

// refuseRevoked refreshes the rights on a selected shared mailbox before
// a command: an owner may take them away meanwhile. Without "r" the
// command is refused (RFC 4314 §4: not a byte of a message without it).
func (s *session) refuseRevoked(c *command) (status, bool) {
	v := s.v
	if v == nil || v.owner == "" || c.spec.states&inSelected == 0 {
		return status{}, false
	}
	r, err := s.rightsOn(v.mb, v.owner)
	if err != nil {
		return s.storeError("rights", err), true
	}
	v.rights = r
	// CLOSE and UNSELECT read nothing: the session may still leave.
	if !r.Has(imapacl.Read) && c.spec.states&inAuth == 0 && c.name != "CLOSE" && c.name != "UNSELECT" {
		return respNOCode("NOPERM", "Permission denied"), true
	}
	return status{}, false
}

// refreshRights reads the rights on a selected shared mailbox again
// before updates are sent (IDLE and NOTIFY send them with no command
// before, so refuseRevoked has not run); false when they cannot be read,
// and then nothing is sent.
func (s *session) refreshRights() bool {
	v := s.v
	if v.owner == "" {
		return true
	}
	r, err := s.rightsOn(v.mb, v.owner)
	if store.IsKind(err, store.KindNotFound) {
		return true // deleted: updates ends the session, as for one's own
	}
	if err != nil {
		s.log.Warn("rights not read: updates withheld", "err", err)
		return false
	}
	v.rights = r
	return true
}

// uidCodes reports whether APPENDUID and COPYUID may name t's
// UIDVALIDITY and UIDs: not without "r" (RFC 4315 §6: not to a client
// that could not SELECT or EXAMINE the mailbox).
func uidCodes(t target) bool { return t.rights.Has(imapacl.Read) }

// flagKinds classifies flags and keywords for imapacl.FlagRights.
func flagKinds(f store.Flags, kw []string) int {
	k := 0
	if f&store.FlagSeen != 0 {
		k |= imapacl.FlagSeen
	}
	if f&store.FlagDeleted != 0 {
		k |= imapacl.FlagDeleted
	}
	if f&^(store.FlagSeen|store.FlagDeleted) != 0 || len(kw) > 0 {
		k |= imapacl.FlagOther
	}
	return k
}

// permittedFlags drops the flags that rights do not allow to set or
// clear (RFC 4314 §4: "s" for \Seen, "t" for \Deleted, "w" for the
// others).
func permittedFlags(rights imapacl.Rights, f store.Flags, kw []string) (store.Flags, []string) {
	if !rights.Has(imapacl.Seen) {
		f &^= store.FlagSeen
	}
	if !rights.Has(imapacl.DeleteMessage) {
		f &^= store.FlagDeleted
	}
	if !rights.Has(imapacl.Write) {
		f &= store.FlagSeen | store.FlagDeleted
		kw = nil
	}
	return f, kw
}

// watchOwner makes the session hear the changes of a selected shared
// mailbox's owner (IDLE, NOTIFY: the feed is per account); a mailbox of
// the session's own stops it.
func (s *session) watchOwner(owner store.AccountID) {
	if s.shareSub != nil && (owner == s.acct.ID || owner != s.shareAcct) {
		s.shareSub.Close()
		s.shareSub = nil
	}
	if owner != s.acct.ID && s.shareSub == nil {
		s.shareSub, s.shareAcct = s.srv.st.Subscribe(owner), owner
	}
}

// feedC is the channel of the owner's feed, nil (never ready) when no
// shared mailbox is watched.
func (s *session) feedC() <-chan struct{} {
	if s.shareSub == nil {
		return nil
	}
	return s.shareSub.C()
}

// notifyFeeds sets (or, with nil, clears) the wake-up function of the
// session's feeds.
func (s *session) notifyFeeds(f func()) {
	s.sub.Notify(f)
	if s.shareSub != nil {
		s.shareSub.Notify(f)
	}
}

// drainOwnerFeed takes the owner's events: those of the selected mailbox
// make the view dirty (the others are none of the session's business).
func (s *session) drainOwnerFeed() {
	if s.shareSub == nil {
		return
	}
	events, overflow := s.shareSub.Events()
	if s.v == nil || s.v.mb.Account == s.acct.ID {
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

// storeRights applies RFC 4314 §4 to STORE: the flags the rights do not
// cover are dropped, as STORE "SHOULD NOT fail if the user has rights to
// modify at least one flag"; NO [NOPERM] when none is left, and for FLAGS
// (replace) without all of "s", "t" and "w", which would change every
// kind of flag.
func (s *session) storeRights(op string, f store.Flags, kw []string) (store.Flags, []string, status) {
	r := s.v.rights
	if r.Has(imapacl.FlagRights(imapacl.FlagSeen | imapacl.FlagDeleted | imapacl.FlagOther)) {
		return f, kw, status{}
	}
	if op == "" {
		return 0, nil, respNOCode("NOPERM", "Permission denied: FLAGS needs the s, t and w rights; use +FLAGS or -FLAGS")
	}
	pf, pkw := permittedFlags(r, f, kw)
	if pf == 0 && len(pkw) == 0 && (f != 0 || len(kw) > 0) {
		return 0, nil, respNOCode("NOPERM", "Permission denied: no right to change these flags")
	}
	return pf, pkw, status{}
}

// permanentFlags is PERMANENTFLAGS for rights short of All: \Seen with
// "s", \Deleted with "t", the others and new keywords (\*) with "w"
// (RFC 4314 §4).
func permanentFlags(r imapacl.Rights, all string) string {
	var out []string
	for _, f := range strings.Fields(all) {
		kinds := imapacl.FlagOther
		switch f {
		case `\Seen`:
			kinds = imapacl.FlagSeen
		case `\Deleted`:
			kinds = imapacl.FlagDeleted
		}
		if r.Has(imapacl.FlagRights(kinds)) {
			out = append(out, f)
		}
	}
	if r.Has(imapacl.Write) {
		out = append(out, `\*`)
	}
	return strings.Join(out, " ")
}

// unpermittedFlags is what COPY and MOVE into a mailbox leave out of the
// copies' flags, in the store's transaction, under the session's rights
// on it (RFC 4314 §4: COPY's flags need s, t and w like APPEND's).
func unpermittedFlags(rights imapacl.Rights) store.FlagDrop {
	var d store.FlagDrop
	if !rights.Has(imapacl.Seen) {
		d.Flags |= store.FlagSeen
	}
	if !rights.Has(imapacl.DeleteMessage) {
		d.Flags |= store.FlagDeleted
	}
	if !rights.Has(imapacl.Write) {
		d.Flags |= store.FlagAnswered | store.FlagFlagged | store.FlagDraft
		d.Keywords = true
	}
	return d
}

// metadataMailbox resolves the mailbox of GETMETADATA and SETMETADATA
// (RFC 5464 §4.2, §4.3: "l" and "r", "l" and "w"). Entries are kept per
// account, by the session's own mailboxes: a shared mailbox has none
// (NO [CANNOT], after the rights are checked, so that nothing leaks).
func (s *session) metadataMailbox(raw string, cmd imapacl.Command) (store.Mailbox, status, bool) {
	t, st, ok := s.resolve(raw, cmd)
	if ok && t.owner != "" {
		return t.mb, respNOCode("CANNOT", "No METADATA on shared mailboxes"), false
	}
	return t.mb, st, ok
}
