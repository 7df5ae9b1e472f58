package imapd

import (
	"strings"
	"sync/atomic"

	"github.com/petrelmail/petrel/internal/imapacl"
	"github.com/petrelmail/petrel/internal/store"
)

// NOTIFY on shared mailboxes (RFC 5465 with RFC 4314; README "Shared
// mailboxes"): the "subscribed", "subtree" and "mailboxes" filters take
// the mailboxes other accounts share with the session, named as the
// session knows them ("Other Users/<owner>/<name>", acl.go). Their
// changes come through the owners' change feeds, which the session
// follows while a filter may take one of their mailboxes. "personal" and
// "inboxes" stay the session's own (RFC 5465 §6). A mailbox is followed
// only with "l" (LIST's right), and its STATUS is sent only with "r"
// (STATUS's right, RFC 4314 §4); the rights are read again at each
// update, so a right taken away stops the events.

// maxNotifyOwners bounds the owners whose feeds one session's NOTIFY
// follows (README "Shared mailboxes"): the shared mailboxes of the
// others are left out.
const maxNotifyOwners = 16

// notifyShared is the shared side of a notifyState.
type notifyShared struct {
	// on: the server shares mailboxes and a filter may take one.
	on bool
	// named are the owners the filters name ("Other Users/<owner>..."),
	// followed first.
	named []store.AccountID
	// rights are the session's rights on the shared mailboxes of the
	// last read, by ID (the IDs are the store's, unique across accounts).
	rights map[store.MailboxID]imapacl.Rights
	feeds  map[store.AccountID]*store.Subscription
	// c is signalled by every owner's feed; wake, when set, is called
	// after (notifyOwnersWake).
	c    chan struct{}
	wake atomic.Pointer[func()]
}

// inNamespace reports whether a name is in the "Other Users" namespace
// (then not "personal", RFC 5465 §6).
func (sh *notifyShared) inNamespace(name string) bool {
	return sh.on && (name == otherUsers || strings.HasPrefix(name, otherUsers+store.HierarchySep))
}

// mayRead reports whether a mailbox's STATUS may be sent: always for the
// session's own, with "r" for a shared one (RFC 4314 §4).
func (sh *notifyShared) mayRead(id store.MailboxID) bool {
	r, shared := sh.rights[id]
	return !shared || r.Has(imapacl.Read)
}

// appeared reports whether a shared mailbox the client was not told of
// (shared with the session, or renamed into a filter's names, since) has
// its STATUS sent, as NOTIFY SET's (STATUS) would (RFC 5465 §3).
func (sh *notifyShared) appeared(id store.MailboxID, ev notifyEvents) bool {
	_, shared := sh.rights[id]
	return shared && ev&evMessages != 0
}

// shareNotify prepares n's shared side at NOTIFY SET: the names of the
// "Other Users" namespace that the filters give are put in the form the
// session sees them in (the owner's primary address, as LIST shows it),
// and the owners they name are noted.
func (s *session) shareNotify(n *notifyState) error {
	for i := range n.groups {
		g := &n.groups[i]
		switch g.kind {
		case fSubscribed:
			n.shared.on = s.srv.acl != nil
		case fSubtree, fMailboxes:
			for j, name := range g.names {
				owner, rest, ok := s.splitShared(name)
				if !ok {
					continue
				}
				n.shared.on = true
				if owner == "" {
					continue
				}
				id, addr, err := s.notifyOwner(owner)
				if err != nil {
					return err
				}
				if id == 0 {
					continue
				}
				g.names[j] = otherUsers + store.HierarchySep + addr
				if rest != "" {
					g.names[j] = sharedName(addr, rest)
				}
				n.shared.addNamed(id)
			}
		}
	}
	return nil
}

// notifyOwner finds the account an owner's address names; 0 when none
// does, or when it is the session's own.
func (s *session) notifyOwner(owner string) (store.AccountID, string, error) {
	id, err := s.srv.acl.LookupAddress(s.ctx, canonicalAddress(owner))
	if store.IsKind(err, store.KindNotFound) || err == nil && id == s.acct.ID {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	acct, err := s.srv.acl.Account(s.ctx, id)
	return id, acct.Address, err
}

func (sh *notifyShared) addNamed(id store.AccountID) {
	for _, o := range sh.named {
		if o == id {
			return
		}
	}
	if len(sh.named) < maxNotifyOwners {
		sh.named = append(sh.named, id)
	}
}

// notifyReadShared adds to boxes the shared mailboxes a filter takes,
// with "l", under the names the session sees, and follows their owners'
// feeds (the first maxNotifyOwners: the named ones, then by address).
func (s *session) notifyReadShared(n *notifyState, boxes []store.Mailbox) ([]store.Mailbox, error) {
	sh := &n.shared
	if !sh.on || s.srv.acl == nil {
		return boxes, nil
	}
	list, err := s.srv.acl.SharedWith(s.ctx, s.acct.ID, domainOf(s.acct.Address))
	if err != nil {
		return nil, err
	}
	owners := append([]store.AccountID(nil), sh.named...)
	sh.rights = map[store.MailboxID]imapacl.Rights{}
	for _, sm := range list {
		r, _ := imapacl.Parse(sm.Rights) // the store keeps the canonical form
		mb := sm.Mailbox
		mb.Name = sharedName(sm.Owner, mb.Name)
		if !r.Has(imapacl.Lookup) || n.eventsFor(mb.Name, false) == 0 {
			continue
		}
		if owners = addOwner(owners, mb.Account); !hasOwner(owners, mb.Account) {
			continue // over the bound
		}
		sh.rights[mb.ID] = r
		boxes = append(boxes, mb)
	}
	if sh.follow(s.srv.st, owners) {
		// A change made before the new feed was there: read again.
		n.dirty = true
	}
	return boxes, nil
}

func addOwner(owners []store.AccountID, id store.AccountID) []store.AccountID {
	if hasOwner(owners, id) || len(owners) >= maxNotifyOwners {
		return owners
	}
	return append(owners, id)
}

func hasOwner(owners []store.AccountID, id store.AccountID) bool {
	for _, o := range owners {
		if o == id {
			return true
		}
	}
	return false
}

// follow subscribes to the owners' feeds it does not follow yet, and
// closes those of the others; true when it subscribed to a new one.
func (sh *notifyShared) follow(st interface {
	Subscribe(store.AccountID) *store.Subscription
}, owners []store.AccountID) bool {
	if sh.feeds == nil {
		sh.feeds = map[store.AccountID]*store.Subscription{}
		sh.c = make(chan struct{}, 1)
	}
	for id, sub := range sh.feeds {
		if !hasOwner(owners, id) {
			sub.Close()
			delete(sh.feeds, id)
		}
	}
	added := false
	for _, id := range owners {
		if sh.feeds[id] == nil {
			sub := st.Subscribe(id)
			sub.Notify(sh.signal)
			sh.feeds[id] = sub
			added = true
		}
	}
	return added
}

// signal runs on the publisher's goroutine (store.Subscription.Notify):
// it only signals.
func (sh *notifyShared) signal() {
	select {
	case sh.c <- struct{}{}:
	default:
	}
	if f := sh.wake.Load(); f != nil {
		(*f)()
	}
}

// close ends the owners' feeds.
func (sh *notifyShared) close() {
	for id, sub := range sh.feeds {
		sub.Close()
		delete(sh.feeds, id)
	}
}

// drainOwners takes the owners' events: one on a followed mailbox, or a
// mailbox created, renamed or deleted (a name a filter may take), or an
// overflow, makes n dirty; so does any change of an owner the filters
// name, whose mailbox may have been shared since (SETACL makes no event).
func (n *notifyState) drainOwners() {
	for owner, sub := range n.shared.feeds {
		events, overflow := sub.Events()
		if overflow || len(events) > 0 && hasOwner(n.shared.named, owner) {
			n.dirty = true
		}
		for _, ev := range events {
			switch ev.Kind {
			case store.ChangeMailboxCreated, store.ChangeMailboxRenamed, store.ChangeMailboxDeleted:
				n.dirty = true
			default:
				if _, ok := n.shared.rights[ev.Mailbox]; ok {
					n.dirty = true
				}
			}
		}
	}
}

// setNotify puts n in force (nil: none), ending the owners' feeds of the
// NOTIFY it replaces.
func (s *session) setNotify(n *notifyState) {
	if s.notify != nil && s.notify != n {
		s.notify.shared.close()
	}
	s.notify = n
}

// notifyOwnersC is signalled by the feeds of the owners NOTIFY follows;
// nil (never ready) when it follows none.
func (s *session) notifyOwnersC() <-chan struct{} {
	if s.notify == nil {
		return nil
	}
	return s.notify.shared.c
}

// notifyOwnersWake sets (nil: clears) the function those feeds call, as
// notifyFeeds does for the session's (acl.go).
func (s *session) notifyOwnersWake(f func()) {
	if s.notify == nil {
		return
	}
	if f == nil {
		s.notify.shared.wake.Store(nil)
		return
	}
	s.notify.shared.wake.Store(&f)
}
