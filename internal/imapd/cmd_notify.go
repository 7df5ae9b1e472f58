package imapd

import (
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// NOTIFY (RFC 5465): the client names mailboxes and the events it wants
// to hear of; the server sends them as they happen, between commands too,
// from the account's change feed (notify.go).

// notifyEvents is a set of the events of RFC 5465 §5.
type notifyEvents uint8

const (
	evMessageNew notifyEvents = 1 << iota
	evMessageExpunge
	evFlagChange
	evMailboxName
	evSubscriptionChange

	evMessages = evMessageNew | evMessageExpunge | evFlagChange
)

// supportedEvents is the BADEVENT list (RFC 5465 §3): the events the
// change feed carries. AnnotationChange, the metadata events and
// QuotaChange are not among them.
const supportedEvents = "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange"

var eventNames = map[string]notifyEvents{
	"MESSAGENEW": evMessageNew, "MESSAGEEXPUNGE": evMessageExpunge, "FLAGCHANGE": evFlagChange,
	"MAILBOXNAME": evMailboxName, "SUBSCRIPTIONCHANGE": evSubscriptionChange,
}

// filterKind is a filter-mailboxes of RFC 5465 §6.
type filterKind uint8

const (
	fSelected filterKind = iota + 1
	fSelectedDelayed
	fInboxes
	fPersonal
	fSubscribed
	fSubtree
	fMailboxes
)

var filterNames = map[string]filterKind{
	"SELECTED": fSelected, "SELECTED-DELAYED": fSelectedDelayed, "INBOXES": fInboxes,
	"PERSONAL": fPersonal, "SUBSCRIBED": fSubscribed, "SUBTREE": fSubtree, "MAILBOXES": fMailboxes,
}

// notifyGroup is one event-group: a filter and its events.
type notifyGroup struct {
	kind   filterKind
	names  []string // subtree, mailboxes: stored names
	events notifyEvents
	// fetch: MessageNew's fetch-att, the FETCH sent with each new
	// message of the selected mailbox (RFC 5465 §5.2).
	fetch []fetchItem
}

// notifyArgs are NOTIFY's arguments.
type notifyArgs struct {
	none   bool
	status bool // the STATUS indicator (RFC 5465 §3)
	groups []notifyGroup
	// unsupported: an event the server does not offer (NO [BADEVENT]);
	// invalid: a combination §5 forbids (BAD), its text.
	unsupported bool
	invalid     string
}

// parseNotify reads NOTIFY NONE, or NOTIFY SET [(STATUS)] event-group
// *(SP event-group) (RFC 5465 §8).
func parseNotify(s *session, r *reader, _ *command, a *notifyArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	switch strings.ToUpper(r.atomWith(isNameChar)) {
	case "NONE":
		a.none = true
		return nil
	case "SET":
	default:
		return errSyntax("Expected NOTIFY SET or NOTIFY NONE")
	}
	if err := r.sp(); err != nil {
		return err
	}
	if r.statusIndicator() {
		a.status = true
		if err := r.sp(); err != nil {
			return err
		}
	}
	for {
		g, err := a.group(s, r)
		if err != nil {
			return err
		}
		a.groups = append(a.groups, g)
		if r.peek() != ' ' {
			return nil
		}
		r.pos++
	}
}

// statusIndicator reads "(STATUS)" when it comes next.
func (r *reader) statusIndicator() bool {
	const ind = "(STATUS)"
	if len(r.line)-r.pos >= len(ind) && strings.EqualFold(string(r.line[r.pos:r.pos+len(ind)]), ind) {
		r.pos += len(ind)
		return true
	}
	return false
}

// group reads "(" filter-mailboxes SP events ")".
func (a *notifyArgs) group(s *session, r *reader) (notifyGroup, error) {
	var g notifyGroup
	if err := r.expect('('); err != nil {
		return g, err
	}
	kind, ok := filterNames[strings.ToUpper(r.atomWith(isNameChar))]
	if !ok {
		return g, errSyntax("Unknown NOTIFY filter")
	}
	g.kind = kind
	if err := r.sp(); err != nil {
		return g, err
	}
	if kind == fSubtree || kind == fMailboxes {
		var err error
		if g.names, err = r.notifyMailboxes(s); err != nil {
			return g, err
		}
		if err := r.sp(); err != nil {
			return g, err
		}
	}
	if err := a.events(s, r, &g); err != nil {
		return g, err
	}
	return g, r.expect(')')
}

// notifyMailboxes reads one-or-more-mailbox: a mailbox, or a list of them.
func (r *reader) notifyMailboxes(s *session) ([]string, error) {
	var names []string
	one := func() error {
		raw, err := r.astring()
		if err != nil {
			return err
		}
		name, ok := s.mailboxName(raw)
		if !ok {
			return errSyntax("Invalid mailbox name")
		}
		names = append(names, name)
		return nil
	}
	if r.peek() != '(' {
		return names, one()
	}
	err := r.list(one)
	if err == nil && len(names) == 0 {
		err = errSyntax("Expected a mailbox")
	}
	return names, err
}

// events reads "NONE" or "(" event *(SP event) ")" into g, noting what
// the handler refuses: unknown events (BADEVENT), and the combinations
// RFC 5465 §5 forbids.
func (a *notifyArgs) events(s *session, r *reader, g *notifyGroup) error {
	if r.peek() != '(' {
		if strings.ToUpper(r.atomWith(isNameChar)) != "NONE" {
			return errSyntax("Expected events or NONE")
		}
		return nil
	}
	err := r.list(func() error {
		name := strings.ToUpper(r.atomWith(isNameChar))
		if name == "" {
			return errSyntax("Expected an event")
		}
		ev, ok := eventNames[name]
		if !ok {
			a.unsupported = true
		}
		g.events |= ev
		if ev == evMessageNew && len(r.line)-r.pos > 1 && r.line[r.pos] == ' ' && r.line[r.pos+1] == '(' {
			r.pos++
			f := &fetchArgs{}
			if err := r.list(func() error { return f.item(r) }); err != nil {
				return err
			}
			g.fetch = f.items
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.check(g)
	return nil
}

// check notes a group that RFC 5465 forbids.
func (a *notifyArgs) check(g *notifyGroup) {
	msg := g.events & (evMessageNew | evMessageExpunge)
	switch {
	case a.invalid != "":
	case msg != 0 && msg != evMessageNew|evMessageExpunge:
		// §5.2, §5.3: the two go together, as the client cannot keep
		// sequence numbers right with one of them.
		a.invalid = "MessageNew and MessageExpunge go together"
	case g.events&evFlagChange != 0 && msg == 0:
		a.invalid = "FlagChange needs MessageNew and MessageExpunge"
	case len(g.fetch) > 0 && g.kind != fSelected && g.kind != fSelectedDelayed:
		a.invalid = "MessageNew fetch attributes are for the selected mailbox only"
	}
	for i := range g.fetch {
		switch it := &g.fetch[i]; it.name {
		case "RFC822", "RFC822.TEXT":
			a.invalid = "Fetch attributes of NOTIFY must not set \\Seen: use BODY.PEEK"
		case "BODY[]", "BINARY[]":
			it.peek = true // §5.2: a notification changes no flag
		}
	}
}

// cmdNotify runs NOTIFY (RFC 5465 §3).
func (s *session) cmdNotify(_ *command, a *notifyArgs) status {
	if a.none {
		s.setNotify(nil)
		return respOK("NOTIFY completed")
	}
	if a.unsupported {
		return respNOCode("BADEVENT ("+supportedEvents+")", "Unsupported event")
	}
	if a.invalid != "" {
		return respBAD(a.invalid)
	}
	sel := 0
	for _, g := range a.groups {
		if g.kind == fSelected || g.kind == fSelectedDelayed {
			sel++
		}
	}
	if sel > 1 {
		return respBAD("Only one of selected and selected-delayed")
	}
	n := newNotifyState(a.groups)
	err := s.shareNotify(n) // notify_shared.go
	var boxes []store.Mailbox
	if err == nil {
		boxes, err = s.notifySnapshot(n)
	}
	if err != nil {
		n.shared.close()
		return s.storeError("notify", err)
	}
	s.setNotify(n)
	if a.status {
		// §3: a STATUS for each mailbox with message events, before the
		// tagged OK (not the selected one: its state comes as EXISTS).
		for _, mb := range boxes {
			if !s.isSelected(mb.ID) && n.shared.mayRead(mb.ID) && n.eventsFor(mb.Name, false)&evMessages != 0 {
				s.notifyStatus(mb)
			}
		}
	}
	return respOK("NOTIFY completed")
}
