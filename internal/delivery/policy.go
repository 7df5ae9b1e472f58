package delivery

import (
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// Policy is the per-recipient stage of delivery (docs/flow.md): after the
// checks and before the store, it decides what becomes of each local copy
// of a message: the DMARC quarantine (QuarantineJunk), the content
// filter's junk verdict (SpamJunk) and the account's Sieve script
// (Sieve, sieve.go); vacation replies are to join. The wiring
// (cmd/petrel) configures the chain, Config.Policies.
type Policy interface {
	// Decide returns the actions for the copy of m for rcpt. An error
	// refuses the recipient with a temporary local error (451 4.3.0).
	Decide(ctx context.Context, m *Message, rcpt Rcpt) (Action, error)
}

// Message is what a policy sees of the message: its envelope, the
// metadata of the local copy (trace fields on top), parsed once for the
// whole delivery and stored with the copy, and the checks' verdict.
type Message struct {
	Envelope *envelope.Envelope
	Meta     *msgmeta.Meta
	// Auth is the SPF, DKIM and DMARC verdict on mail received on the MX
	// (inbound.go); the zero Verdict elsewhere.
	Auth msgauth.Verdict
	// Spam is the content filter's verdict (filter.go); the zero Verdict
	// (Accept, not scanned) when there is none.
	Spam rspamd.Verdict
	size int64
	open func() (io.Reader, error)
}

// Size is the size of the local copy in octets.
func (m *Message) Size() int64 { return m.size }

// Open reads the local copy from its start (for a policy that looks at
// the body); a policy must be done with it before it returns.
func (m *Message) Open() (io.Reader, error) { return m.open() }

// Rcpt is one local copy: the envelope recipient and the account it
// resolved to (an alias can resolve to several).
type Rcpt struct {
	envelope.Recipient
	Account store.AccountID
	// Shared: the recipient resolved to several accounts (an alias), so
	// refusing it would refuse the others' copies too.
	Shared bool
}

// Action is what a policy decided for one copy. The zero Action keeps the
// message as it is: INBOX, no flags.
type Action struct {
	// Reject refuses the recipient with this reply (4xx or 5xx). With
	// envelope.Envelope.PerRecipient (LMTP) only that recipient is refused;
	// otherwise the one reply after DATA refuses the whole message (RFC
	// 5321 §3.3: there is no per-recipient reply to DATA).
	Reject *smtpreply.Reply
	// Discard accepts the copy and stores nothing.
	Discard bool
	// Mailbox files the copy in the account's mailbox of that name, or
	// SpecialUse in its mailbox with that attribute (RFC 6154); INBOX when
	// there is none.
	Mailbox    string
	SpecialUse store.SpecialUse
	Flags      store.Flags
	Keywords   []string
	// Send are new messages to send once the copy is delivered (a vacation
	// reply, a notification), through the outbound queue.
	Send []Outgoing
	// Stored are run once the recipient got the message (its copies
	// stored or discarded, its reply nil), not when the delivery fails:
	// what a policy records of a delivered message (the Sieve duplicate
	// marks, RFC 7352 §3), so that the sender's retry is not seen as a
	// duplicate.
	Stored []func(context.Context)
}

// Outgoing is a message a policy asks to send: its envelope (From and
// Recipients; ID is made when empty) and its octets (CRLF line ends).
type Outgoing struct {
	Envelope envelope.Envelope
	Body     []byte
	// Forward marks a forwarded copy (Sieve redirect): Envelope.From is
	// the original sender, rewritten with SRS when it is not in a local
	// domain (README "Filters and vacation"), and the copy counts as a
	// hop for loop detection.
	Forward bool
	// Via is the local address that forwards (Forward): the
	// Delivered-To field added to the copy, and the loop check's key.
	Via string
	// Sign has the message DKIM-signed for the domain of its From field
	// (a vacation reply, a notification) when that domain has a key.
	Sign bool
	// Keeps is the account whose implicit keep this forwarded copy
	// replaced (a redirect without :copy, RFC 3894 §3); 0 for none. When
	// the copy cannot be sent or delivered, it is stored in that
	// account's INBOX instead (pipeline.go), so that nothing is lost
	// (RFC 5228 §2.10.6).
	Keeps store.AccountID
}

// chain runs the policies in order and merges their actions: a Reject or
// a Discard ends the chain; a later mailbox choice replaces an earlier
// one; flags, keywords and messages to send add up.
func chain(ctx context.Context, ps []Policy, m *Message, rcpt Rcpt) (Action, error) {
	var acc Action
	for _, p := range ps {
		a, err := p.Decide(ctx, m, rcpt)
		if err != nil {
			return Action{}, err
		}
		if a.Reject != nil {
			a.Send, a.Stored = append(acc.Send, a.Send...), nil
			return a, nil
		}
		if a.Discard {
			a.Send, a.Stored = append(acc.Send, a.Send...), append(acc.Stored, a.Stored...)
			return a, nil
		}
		if a.Mailbox != "" || a.SpecialUse != store.UseNone {
			acc.Mailbox, acc.SpecialUse = a.Mailbox, a.SpecialUse
		}
		acc.Flags |= a.Flags
		acc.Keywords = append(acc.Keywords, a.Keywords...)
		acc.Send = append(acc.Send, a.Send...)
		acc.Stored = append(acc.Stored, a.Stored...)
	}
	return acc, nil
}

// decide is the policy stage: it runs the chain for every local copy of
// the recipients not refused yet, refuses those a policy rejects, and
// returns the store targets, one per account (the first recipient that
// reaches an account decides its copy), with the target indexes of each
// recipient.
func (s *Service) decide(ctx context.Context, t *ingest, m *Message) ([]store.Target, [][]int) {
	var targets []store.Target
	index := make(map[store.AccountID]int)
	owners := make([][]int, len(t.env.Recipients))
	for i, rt := range t.routes {
		if t.replies[i] != nil || len(rt.local) == 0 {
			continue
		}
		acts, reply := s.decideRcpt(ctx, m, t.env.Recipients[i], rt.local)
		if reply != nil {
			t.replies[i] = reply
			continue
		}
		mine, fresh, reply := s.targetsOf(ctx, rt.local, acts, index, len(targets))
		if reply != nil {
			t.replies[i] = reply
			continue
		}
		targets, owners[i] = append(targets, fresh...), mine
		for _, a := range acts {
			t.send[i] = append(t.send[i], a.Send...)
			t.stored[i] = append(t.stored[i], a.Stored...)
		}
	}
	return targets, owners
}

// targetsOf returns the target indexes of one recipient's copies (those
// not discarded) and the targets new to index, numbered from base. A
// failure adds none to index, so that none of the recipient's copies is
// stored.
func (s *Service) targetsOf(ctx context.Context, accts []store.AccountID, acts []Action,
	index map[store.AccountID]int, base int) ([]int, []store.Target, *smtpreply.Reply) {
	var mine []int
	var fresh []store.Target
	for k, id := range accts {
		if acts[k].Discard {
			continue
		}
		j, ok := index[id]
		if !ok {
			tg, r := s.target(ctx, id, acts[k])
			if r != nil {
				for _, f := range fresh {
					delete(index, f.Account)
				}
				return nil, nil, r
			}
			j = base + len(fresh)
			index[id] = j
			fresh = append(fresh, tg)
		}
		mine = append(mine, j)
	}
	return mine, fresh, nil
}

// decideRcpt runs the chain for each account of one recipient; a
// rejection of any copy refuses the recipient.
func (s *Service) decideRcpt(ctx context.Context, m *Message, rcpt envelope.Recipient, accts []store.AccountID) ([]Action, *smtpreply.Reply) {
	acts := make([]Action, len(accts))
	for k, id := range accts {
		a, err := chain(ctx, s.cfg.Policies, m, Rcpt{Recipient: rcpt, Account: id, Shared: len(accts) > 1})
		switch {
		case err != nil:
			return nil, s.localError("policy for "+rcpt.Addr.String(), err)
		case a.Reject != nil && a.Reject.Positive():
			return nil, s.localError("policy for "+rcpt.Addr.String(), errPositiveReject)
		case a.Reject != nil:
			return nil, a.Reject
		}
		acts[k] = a
	}
	return acts, nil
}

// target is the store target of one account's copy: the mailbox the
// action names, if the account has it, else INBOX.
func (s *Service) target(ctx context.Context, id store.AccountID, a Action) (store.Target, *smtpreply.Reply) {
	tg := store.Target{Account: id, Flags: a.Flags, Keywords: a.Keywords}
	if a.Mailbox == "" && a.SpecialUse == store.UseNone {
		return tg, nil
	}
	mbs, err := s.st.Mailboxes(ctx, id)
	if err != nil {
		return tg, s.localError("find mailbox", err)
	}
	for _, mb := range mbs {
		if (a.SpecialUse != store.UseNone && mb.SpecialUse == a.SpecialUse) || (a.SpecialUse == store.UseNone && mb.Name == a.Mailbox) {
			tg.Mailbox = mb.ID
			break
		}
	}
	return tg, nil
}

// JunkKeyword marks messages delivered as junk (IANA IMAP keyword
// registry, RFC 5788: $Junk), so that clients see it also where the
// account has no Junk mailbox.
const JunkKeyword = "$Junk"

// QuarantineJunk is the policy for a DMARC quarantine (RFC 7489 §6.3
// p=quarantine; msgauth.Junk): the copy goes to the account's Junk
// mailbox (RFC 6154 \Junk; INBOX when it has none), marked $Junk.
type QuarantineJunk struct{}

// Decide implements Policy.
func (QuarantineJunk) Decide(_ context.Context, m *Message, _ Rcpt) (Action, error) {
	if m.Auth.Action != msgauth.Junk {
		return Action{}, nil
	}
	return Action{SpecialUse: store.UseJunk, Keywords: []string{JunkKeyword}}, nil
}
