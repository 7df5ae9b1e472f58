package imapd

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// notifyState is a session's NOTIFY (RFC 5465): its event groups and
// what the client knows of the account's mailboxes (told by a
// notification, or as they were at NOTIFY SET). A change in the feed (or
// an overflow: changes made by another process) marks it dirty; the
// mailboxes are then read again and compared, so a notification says
// what changed whichever node or process made the change.
type notifyState struct {
	groups []notifyGroup
	known  map[store.MailboxID]mbSnap
	// subs are the subscriptions, kept when a "subscribed" filter or a
	// SubscriptionChange event needs them.
	subs     map[string]bool
	needSubs bool
	// others: a group watches mailboxes besides the selected one, or
	// names or subscriptions.
	others bool
	dirty  bool
	// shared: the other accounts' mailboxes (notify_shared.go).
	shared notifyShared
}

// mbSnap is what a STATUS or LIST notification says of a mailbox.
type mbSnap struct {
	name        string
	uidValidity uint32
	uidNext     store.UID
	messages    int64
	unseen      int64
	modseq      store.ModSeq
}

func snapOf(mb store.Mailbox) mbSnap {
	return mbSnap{name: mb.Name, uidValidity: mb.UIDValidity, uidNext: mb.UIDNext,
		messages: mb.Messages, unseen: mb.Unseen, modseq: mb.HighestModSeq}
}

func newNotifyState(groups []notifyGroup) *notifyState {
	n := &notifyState{groups: groups, known: map[store.MailboxID]mbSnap{}}
	for _, g := range groups {
		if g.kind == fSubscribed || g.events&evSubscriptionChange != 0 {
			n.needSubs = true
		}
		if g.kind != fSelected && g.kind != fSelectedDelayed && g.events != 0 ||
			g.events&(evMailboxName|evSubscriptionChange) != 0 {
			n.others = true
		}
	}
	return n
}

// selectedGroup is the selected or selected-delayed group, nil if none.
func (n *notifyState) selectedGroup() *notifyGroup {
	for i := range n.groups {
		if k := n.groups[i].kind; k == fSelected || k == fSelectedDelayed {
			return &n.groups[i]
		}
	}
	return nil
}

// eventsFor returns the events wanted for a mailbox: those of the
// selected filter for the selected mailbox, else of the first group whose
// filter takes the mailbox, in the client's order (RFC 5465 §6).
func (n *notifyState) eventsFor(name string, selected bool) notifyEvents {
	if g := n.selectedGroup(); selected && g != nil {
		return g.events
	}
	for i := range n.groups {
		if n.matches(&n.groups[i], name) {
			return n.groups[i].events
		}
	}
	return 0
}

// matches reports whether the filter of g takes the mailbox name (RFC
// 5465 §6). "inboxes" is INBOX: delivery puts mail nowhere else unless a
// Sieve script files it, which no mailbox says in advance.
func (n *notifyState) matches(g *notifyGroup, name string) bool {
	switch g.kind {
	case fInboxes:
		return name == store.InboxName
	case fPersonal:
		return !n.shared.inNamespace(name) // the own account's (notify_shared.go)
	case fSubscribed:
		return n.subs[name]
	case fSubtree:
		for _, root := range g.names {
			if name == root || strings.HasPrefix(name, root+store.HierarchySep) {
				return true
			}
		}
	case fMailboxes:
		for _, m := range g.names {
			if name == m {
				return true
			}
		}
	}
	return false
}

// note takes the feed's events: a change to a mailbox other than the
// selected one, to the mailbox list or the subscriptions, or an overflow
// makes the state dirty (the selected mailbox has its view).
func (n *notifyState) note(events []store.Change, overflow bool, selected store.MailboxID) {
	if !n.others {
		return // the selected mailbox only: its view takes the events
	}
	if overflow {
		n.dirty = true
	}
	for _, ev := range events {
		switch {
		case ev.Mailbox != selected || selected == 0:
			n.dirty = true
		case ev.Kind == store.ChangeMailboxRenamed || ev.Kind == store.ChangeMailboxDeleted:
			n.dirty = true
		}
	}
}

func (s *session) isSelected(id store.MailboxID) bool { return s.v != nil && s.v.mb.ID == id }

func (s *session) selectedID() store.MailboxID {
	if s.v == nil {
		return 0
	}
	return s.v.mb.ID
}

// notifySnapshot reads the mailboxes (and subscriptions) into n.known as
// what the client knows, and returns them.
func (s *session) notifySnapshot(n *notifyState) ([]store.Mailbox, error) {
	boxes, err := s.notifyRead(n)
	for _, mb := range boxes {
		n.known[mb.ID] = snapOf(mb)
	}
	return boxes, err
}

func (s *session) subscriptionSet() (map[string]bool, error) {
	names, err := s.srv.st.Subscriptions(s.ctx, s.acct.ID)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(names))
	for _, name := range names {
		set[name] = true
	}
	return set, nil
}

// notifyUpdates sends what changed outside the selected mailbox since the
// client was last told (RFC 5465 §5): STATUS for message events, LIST for
// mailbox names and subscriptions.
func (s *session) notifyUpdates() {
	n := s.notify
	if n == nil {
		return
	}
	n.drainOwners() // the shared mailboxes' owners (notify_shared.go)
	if !n.dirty {
		return
	}
	n.dirty = false
	oldSubs := n.subs
	boxes, err := s.notifyRead(n)
	if err != nil {
		n.dirty = true // tried again at the next occasion
		s.log.Warn("notify update failed", "err", err)
		return
	}
	seen := make(map[store.MailboxID]bool, len(boxes))
	for _, mb := range boxes {
		seen[mb.ID] = true
		old, ok := n.known[mb.ID]
		sel := s.isSelected(mb.ID)
		ev := n.eventsFor(mb.Name, sel)
		switch {
		case !ok && ev&evMailboxName != 0: // created (RFC 5465 §5.4)
			s.notifyList("", mb.Name, "")
		case ok && old.name != mb.Name && (ev|n.eventsFor(old.name, sel))&evMailboxName != 0:
			s.notifyList("", mb.Name, old.name) // renamed: OLDNAME
		}
		if !sel && n.shared.mayRead(mb.ID) && (ok && statusChanged(old, mb, ev) || !ok && n.shared.appeared(mb.ID, ev)) {
			s.notifyStatus(mb)
		}
		n.known[mb.ID] = snapOf(mb)
	}
	for id, old := range n.known {
		if !seen[id] {
			if n.eventsFor(old.name, false)&evMailboxName != 0 {
				s.notifyList(`\NonExistent`, old.name, "") // deleted
			}
			delete(n.known, id)
		}
	}
	s.notifySubscriptions(oldSubs, boxes)
}

// notifyRead reads the account's mailboxes, and its subscriptions into
// n.subs when n needs them.
func (s *session) notifyRead(n *notifyState) ([]store.Mailbox, error) {
	boxes, err := s.srv.st.Mailboxes(s.ctx, s.acct.ID)
	if err != nil {
		return nil, err
	}
	if n.needSubs {
		if n.subs, err = s.subscriptionSet(); err != nil {
			return nil, err
		}
	}
	return s.notifyReadShared(n, boxes)
}

// statusChanged reports whether a mailbox changed in a way the events
// ask to hear of: new messages, expunges (RFC 5465 §5.2, §5.3), flags
// (§5.1: UNSEEN and HIGHESTMODSEQ).
func statusChanged(old mbSnap, mb store.Mailbox, ev notifyEvents) bool {
	switch {
	case ev&evMessages == 0:
		return false
	case old.uidValidity != mb.UIDValidity:
		return true
	case ev&evMessageNew != 0 && (old.uidNext != mb.UIDNext || old.messages != mb.Messages):
		return true
	case ev&evMessageExpunge != 0 && old.messages != mb.Messages:
		return true
	}
	return ev&evFlagChange != 0 && (old.unseen != mb.Unseen || old.modseq != mb.HighestModSeq)
}

// notifySubscriptions sends a LIST for each name subscribed or
// unsubscribed since oldSubs (RFC 5465 §5.5), when its group asks.
func (s *session) notifySubscriptions(oldSubs map[string]bool, boxes []store.Mailbox) {
	n := s.notify
	if !n.needSubs || oldSubs == nil {
		return
	}
	exists := make(map[string]bool, len(boxes))
	for _, mb := range boxes {
		exists[mb.Name] = true
	}
	attrs := func(name, sub string) string {
		if !exists[name] {
			return strings.TrimSpace(`\NonExistent ` + sub)
		}
		return sub
	}
	for name := range n.subs {
		if !oldSubs[name] && n.eventsFor(name, false)&evSubscriptionChange != 0 {
			s.notifyList(attrs(name, `\Subscribed`), name, "")
		}
	}
	for name := range oldSubs {
		if !n.subs[name] && n.eventsFor(name, false)&evSubscriptionChange != 0 {
			s.notifyList(attrs(name, ""), name, "")
		}
	}
}

// notifyList writes "* LIST (attrs) "/" name", with the OLDNAME extended
// item after a rename (RFC 5465 §5.4, RFC 9051 §7.3.1).
func (s *session) notifyList(attrs, name, oldName string) {
	s.w.raw("* LIST (" + attrs + `) "` + store.HierarchySep + `" `)
	s.writeMailbox(name)
	if oldName != "" {
		s.w.raw(` ("OLDNAME" (`)
		s.writeMailbox(oldName)
		s.w.raw("))")
	}
	s.w.crlf()
}

// notifyStatus writes the STATUS of a non-selected mailbox (RFC 5465
// §5.2: MESSAGES, UIDNEXT, UIDVALIDITY; UNSEEN; HIGHESTMODSEQ once
// CONDSTORE is enabled).
func (s *session) notifyStatus(mb store.Mailbox) {
	items := []string{"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"}
	if s.condstore {
		items = append(items, "HIGHESTMODSEQ")
	}
	s.writeStatus(mb, items)
}

// notifyFetchNew sends the FETCH that MessageNew's fetch attributes ask
// for each new message of the selected mailbox (RFC 5465 §5.2).
func (s *session) notifyFetchNew(uids []store.UID) {
	if s.notify == nil || len(uids) == 0 {
		return
	}
	g := s.notify.selectedGroup()
	if g == nil || len(g.fetch) == 0 {
		return
	}
	set := numSet{ranges: make([]numRange, len(uids))}
	for i, u := range uids {
		set.ranges[i] = numRange{uint32(u), uint32(u)}
	}
	items := append([]fetchItem(nil), g.fetch...)
	if st := s.cmdFetch(&command{name: "FETCH", uid: true}, &fetchArgs{set: set, items: items}); st.kind == "NO" {
		s.log.Warn("notify fetch failed", "text", st.text)
	}
}

// awaitCommand waits for the first octet of the next command. With
// NOTIFY the changes are sent as they happen meanwhile (RFC 5465 §1:
// no IDLE needed), woken by the feed the way IDLE is (cmd_idle.go).
func (s *session) awaitCommand(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	s.conn.SetReadDeadline(deadline)
	if s.notify == nil || s.sub == nil {
		return s.awaitInput()
	}
	w := &idleWaker{conn: s.conn, on: true}
	s.notifyFeeds(w.wake)
	s.notifyOwnersWake(w.wake)
	defer func() {
		s.notifyFeeds(nil)
		s.notifyOwnersWake(nil)
		w.stop()
	}()
	for {
		woken := true
		select {
		case <-s.sub.C():
		case <-s.feedC(): // a shared mailbox's owner (acl.go)
		case <-s.notifyOwnersC(): // notify_shared.go
		default:
			woken = false
		}
		if woken && !s.pushNotifications() {
			return errNotifyEnd
		}
		err := s.awaitInput()
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || s.stopping.Load() || !time.Now().Before(deadline) {
			return err
		}
		s.conn.SetReadDeadline(deadline) // woken by the feed
	}
}

// errNotifyEnd ends a session whose notification could not be sent, or
// whose selected mailbox was deleted (BYE sent).
var errNotifyEnd = errors.New("session ended while sending notifications")

// pushNotifications sends the changes between commands: those of the
// selected mailbox when the selected filter has events (EXPUNGE only for
// "selected": "selected-delayed" keeps them for a command that allows
// them, RFC 5465 §6), then the others.
func (s *session) pushNotifications() bool {
	g := s.notify.selectedGroup()
	if s.state == stateSelected && s.v != nil && g != nil && g.events != 0 {
		if !s.updates(g.kind == fSelected) {
			s.w.flush()
			return false
		}
	} else {
		s.drainFeed()
	}
	s.notifyUpdates()
	return s.w.flush() == nil
}
