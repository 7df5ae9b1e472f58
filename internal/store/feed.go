package store

import (
	"sync"
	"sync/atomic"
)

// ChangeKind says what happened.
type ChangeKind int

const (
	ChangeAdded          ChangeKind = iota + 1 // messages appended (UIDs)
	ChangeFlags                                // flags changed (UIDs)
	ChangeExpunged                             // messages expunged (UIDs)
	ChangeMailboxCreated                       // mailbox created (or renamed to)
	ChangeMailboxDeleted                       // mailbox deleted (or renamed from)
	ChangeMailboxRenamed
	ChangeSubscription
)

// Change is one event of the change feed. It says what happened to which
// messages; a subscriber that needs the new state reads it from the store
// (ChangedSince / ExpungedSince), so a lost event costs a resync, never a
// wrong view.
type Change struct {
	Account AccountID
	Mailbox MailboxID
	Kind    ChangeKind
	UIDs    []UID
	ModSeq  ModSeq // the mailbox's HIGHESTMODSEQ after the change
	// State is the account's change state after the call that made the
	// change (Mail.AccountState); all events of one call carry the same.
	State State
}

// maxPending bounds the events buffered for one subscriber.
const maxPending = 4096

// Subscription receives the changes of one account. C is signalled
// (coalesced) whenever events are pending; Events drains them.
type Subscription struct {
	hub     *Hub
	account AccountID
	c       chan struct{}
	notify  atomic.Pointer[func()]

	mu       sync.Mutex
	pending  []Change
	overflow bool
}

// C returns a channel that receives a value when events are pending.
func (s *Subscription) C() <-chan struct{} { return s.c }

// Events drains the pending events. overflow is true when events were
// dropped because the subscriber fell behind: it must then resynchronise
// from the store.
func (s *Subscription) Events() (events []Change, overflow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events, overflow = s.pending, s.overflow
	s.pending, s.overflow = nil, false
	return events, overflow
}

// Notify makes the subscription call f after each change it receives,
// once C has been signalled; nil stops it. f runs on the publisher's
// goroutine, with the hub locked: it must return at once and not call
// the hub. It lets a subscriber wait for changes without a goroutine of
// its own (an IMAP session in IDLE wakes its blocked read).
func (s *Subscription) Notify(f func()) {
	if f == nil {
		s.notify.Store(nil)
		return
	}
	s.notify.Store(&f)
}

// Close ends the subscription.
func (s *Subscription) Close() { s.hub.remove(s) }

// resync marks the subscription as having missed events, as an overflow
// does, and signals it.
func (s *Subscription) resync() {
	s.mu.Lock()
	s.overflow = true
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) push(ch Change) {
	s.mu.Lock()
	if len(s.pending) >= maxPending {
		s.overflow = true
	} else {
		s.pending = append(s.pending, ch)
	}
	s.mu.Unlock()
	s.signal()
}

// signal wakes the subscriber: C, and the Notify function.
func (s *Subscription) signal() {
	select {
	case s.c <- struct{}{}:
	default:
	}
	if f := s.notify.Load(); f != nil {
		(*f)()
	}
}

// Hub fans changes out to subscribers. Backends embed one; Publish never
// blocks.
type Hub struct {
	mu   sync.Mutex
	subs map[AccountID]map[*Subscription]struct{}
}

// Subscribe registers a subscriber for one account.
func (h *Hub) Subscribe(account AccountID) *Subscription {
	s := &Subscription{hub: h, account: account, c: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = make(map[AccountID]map[*Subscription]struct{})
	}
	m := h.subs[account]
	if m == nil {
		m = make(map[*Subscription]struct{})
		h.subs[account] = m
	}
	m[s] = struct{}{}
	return s
}

func (h *Hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.subs[s.account]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.subs, s.account)
		}
	}
}

// Publish delivers changes to the subscribers of their accounts.
func (h *Hub) Publish(changes ...Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range changes {
		for s := range h.subs[ch.Account] {
			s.push(ch)
		}
	}
}

// SubscribedAccounts lists the accounts that have subscribers.
func (h *Hub) SubscribedAccounts() []AccountID {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]AccountID, 0, len(h.subs))
	for a := range h.subs {
		out = append(out, a)
	}
	return out
}

// Resync tells the subscribers of account that it changed in ways the
// feed did not carry (another process or node wrote them, seen by the
// backend later): their Events report an overflow, and they read the
// state from the store again.
func (h *Hub) Resync(account AccountID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[account] {
		s.resync()
	}
}
