package delivery

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// SieveScripts gives the active Sieve script of an account and the
// personal scripts it includes (package sievescripts).
type SieveScripts interface {
	Load(ctx context.Context, addr string) (sievescripts.Loaded, error)
	Include(ctx context.Context, addr, name string) (*sieve.Script, error)
}

// AccountReader finds an account's primary address.
type AccountReader interface {
	AccountAddress(ctx context.Context, id store.AccountID) (string, error)
}

// SieveStore is what the Sieve policy reads and writes in the store
// besides scripts: the account's mailboxes (mailboxexists, fileinto
// :create), KV entries (duplicate tracking, the failure reports sent) and
// the failure report itself, stored in the INBOX.
type SieveStore interface {
	Mailboxes(ctx context.Context, account store.AccountID) ([]store.Mailbox, error)
	CreateMailbox(ctx context.Context, account store.AccountID, name string, use store.SpecialUse) (store.Mailbox, error)
	Deliver(ctx context.Context, msg store.NewMessage, targets []store.Target) ([]store.Delivered, error)
	store.KV
}

// GlobalIncludes loads the operator's scripts that include :global names
// (RFC 6609 §3.2; config sieve.global_dir).
type GlobalIncludes interface {
	Include(name string) (*sieve.Script, error)
}

// RefusalWriter writes the report (RFC 3464) to the sender of a message
// that rcpt's script rejected while other recipients took it
// (queue.Refusal); header is the message's header section.
type RefusalWriter func(hostname string, env *envelope.Envelope, rcpt envelope.Recipient, reason string, header []byte, now time.Time) []byte

// Sieve is the policy that runs each account's active Sieve script
// (RFC 5228) on its copy, after the spam policies, between the operator's
// global before and after scripts (README "Filters and vacation"):
// fileinto and keep choose the mailbox (fileinto :create makes it),
// imap4flags the flags and keywords, discard drops the copy, redirect
// forwards a copy (Action.Send, Outgoing.Forward), vacation answers
// (vacation.go), reject and ereject refuse it: 550 5.7.1 with the
// script's reason when the transaction has this one recipient (or LMTP),
// otherwise the copy is dropped and the sender gets a report. A script
// that fails, or a lookup that does, keeps the copy where the earlier
// policies put it: a filter never loses a message (RFC 5228 §2.10.6); the
// account is told once per version of its script (sievereport.go).
type Sieve struct {
	Scripts  SieveScripts
	Accounts AccountReader
	Log      *slog.Logger
	Hostname string // the environment test's "host" (RFC 5183 §4)
	// MaxSize bounds the copy read for the script (0 = 64 MiB); larger
	// copies are kept unfiltered.
	MaxSize int64
	// Vacation sends vacation replies (vacation.go); nil sends none.
	Vacation Vacationer
	// SendAs decides whether a vacation's :from may be used (the
	// submission rule); nil refuses every :from.
	SendAs SendAs
	// Store gives mailboxes, duplicate tracking and the failure reports;
	// nil makes mailboxexists and duplicate false, :create and the
	// reports not done.
	Store SieveStore
	// Before and After are the operator's global scripts (config
	// sieve.before, sieve.after), nil for none.
	Before, After *sieve.Script
	// Global resolves include :global; nil makes those includes fail.
	Global GlobalIncludes
	// Refusal writes the report of a reject among several recipients;
	// nil sends none (logged).
	Refusal RefusalWriter
	// Sweeper removes the expired vacation and duplicate entries,
	// started from Decide now and then (sweep.go); nil removes them only
	// when read.
	Sweeper *Sweeper
}

func (p Sieve) logger() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// Decide implements Policy.
func (p Sieve) Decide(ctx context.Context, m *Message, rcpt Rcpt) (Action, error) {
	log := p.logger()
	if p.Sweeper != nil {
		p.Sweeper.Maybe()
	}
	// The address alone: the SQLite store answers it from memory, a
	// read transaction less per delivery (docs/benchmarks.md §SMTP
	// intake profile (issue 21)).
	addr, err := p.Accounts.AccountAddress(ctx, rcpt.Account)
	acct := store.Account{ID: rcpt.Account, Address: addr}
	if err != nil {
		log.Warn("sieve: account not read; message kept", "account", rcpt.Account, "err", err)
		return Action{}, nil
	}
	user, err := p.Scripts.Load(ctx, acct.Address)
	if err != nil {
		log.Warn("sieve: active script not loaded; message kept", "account", acct.Address, "err", err)
		return Action{}, nil
	}
	if user.Err != nil {
		// It compiled when stored; a script that no longer does is
		// skipped (the global scripts still run) and reported.
		log.Warn("sieve: script does not compile; message kept", "account", acct.Address, "script", user.Name, "err", user.Err)
		p.reportFailure(ctx, rcpt.Account, acct.Address, user, user.Err)
	}
	scripts, userAt := p.sequence(user.Script)
	if len(scripts) == 0 {
		return Action{}, nil
	}
	limit := p.MaxSize
	if limit <= 0 {
		limit = 64 << 20
	}
	if m.Size() > limit {
		log.Warn("sieve: message too large to filter; kept", "account", acct.Address, "size", m.Size())
		return Action{}, nil
	}
	r, err := m.Open()
	if err != nil {
		return Action{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return Action{}, err
	}
	run := p.newSieveRun(ctx, m, rcpt, acct)
	res, failed := sieve.RunSequence(ctx, scripts, sieve.ParseMessage(raw), run.environment())
	if res.Err != nil {
		log.Warn("sieve: script failed; message kept", "account", acct.Address, "err", res.Err)
		if failed == userAt {
			p.reportFailure(ctx, rcpt.Account, acct.Address, user, res.Err)
		}
	}
	a := p.sieveAction(ctx, run, raw, res)
	if a.Reject == nil && len(res.Duplicates) > 0 {
		// Recorded once the copy is delivered, not before (a delivery
		// that fails would make the sender's retry a duplicate).
		a.Stored = append(a.Stored, func(ctx context.Context) { run.recordDuplicates(ctx, res.Duplicates) })
	}
	return a, nil
}

// sequence is the scripts to run, before -> user -> after, and the index
// of the user's (-1 without).
func (p Sieve) sequence(user *sieve.Script) ([]*sieve.Script, int) {
	var out []*sieve.Script
	at := -1
	for i, s := range []*sieve.Script{p.Before, user, p.After} {
		if s == nil {
			continue
		}
		if i == 1 {
			at = len(out)
		}
		out = append(out, s)
	}
	return out, at
}

// sieveAction maps a run's actions to the policy's Action. One copy is
// stored per account: of several fileinto and keep actions the first
// fileinto wins (logged).
func (p Sieve) sieveAction(ctx context.Context, run *sieveRun, raw []byte, res sieve.Result) Action {
	log, addr := p.logger(), run.acct.Address
	var a Action
	filed, kept := false, false
	var moved []int // the redirects without :copy, in a.Send
	for _, act := range res.Actions {
		switch act.Kind {
		case sieve.Reject, sieve.Ereject:
			return p.reject(run, raw, act.Reason, a.Send)
		case sieve.FileInto:
			if filed {
				log.Info("sieve: one copy per account; a further fileinto is not done", "account", addr, "mailbox", act.Mailbox)
				continue
			}
			filed = true
			a.Mailbox = run.fileInto(act.Mailbox, act.Create)
			addSieveFlags(&a, act.Flags)
		case sieve.Keep:
			kept = true
			if !filed {
				addSieveFlags(&a, act.Flags)
			}
		case sieve.Redirect:
			if o, ok := p.redirect(run, raw, act.Address); ok {
				if !act.Copy {
					moved = append(moved, len(a.Send))
				}
				a.Send = append(a.Send, o)
			} else if !act.Copy {
				kept = true // a redirect not done must not lose the copy
			}
		case sieve.Vacation:
			if o := p.vacationReply(ctx, run.m, run.rcpt, run.acct, raw, act.Vacation); o != nil {
				a.Send = append(a.Send, *o)
			}
		case sieve.Discard:
		}
	}
	if !filed && !kept {
		for _, k := range moved {
			a.Send[k].Keeps = run.rcpt.Account // kept if it cannot go
		}
		return Action{Discard: true, Send: a.Send}
	}
	return a
}

// redirect is the forwarded copy of a redirect (RFC 5228 §4.2): the copy
// as stored but for its Return-Path (a relayed message has none, RFC 5321
// §4.4), from the original sender (the pipeline rewrites it with SRS),
// through the account's address (Via: Delivered-To, loops); false when
// it is not done: an invalid address, or a loop.
func (p Sieve) redirect(run *sieveRun, raw []byte, target string) (Outgoing, bool) {
	to, err := mailaddr.Parse(target)
	if err != nil {
		p.logger().Warn("sieve: redirect to an address not valid for SMTP; message kept", "account", run.acct.Address, "err", err)
		return Outgoing{}, false
	}
	e := run.m.Envelope
	if rest, ok := bytes.CutPrefix(raw, []byte("Return-Path: ")); ok {
		if _, after, ok := bytes.Cut(rest, []byte("\r\n")); ok {
			raw = after // traceHeaders' one line
		}
	}
	// A loop is an error of the redirect (RFC 5228 §4.2), which keeps
	// the copy (§2.10.6): found here, not when the copy is sent, so that
	// a redirect without :copy does not lose the message. The key is
	// the account's address, not the recipient's: subaddresses
	// (alice+a@, alice+ab@) are one account, not new hops to fan out to.
	via := run.acct.Address
	switch cause, err := forwardLoop(raw, via); {
	case err != nil:
		p.logger().Warn("sieve: redirect not done: header unreadable; message kept", "account", run.acct.Address, "err", err)
		return Outgoing{}, false
	case cause != "":
		p.logger().Info("sieve: redirect not done; message kept", "account", run.acct.Address, "via", via, "reason", cause)
		return Outgoing{}, false
	}
	return Outgoing{Forward: true, Via: via, Body: raw,
		Envelope: envelope.Envelope{ID: obs.NewID(), From: e.From, Recipients: []envelope.Recipient{{Addr: to}},
			Body: e.Body, SMTPUTF8: e.SMTPUTF8, Received: time.Now()}}, true
}

// reject refuses the copy (RFC 5429 §2.1): at DATA with 550 5.7.1 when
// the transaction has this one recipient or replies per recipient (LMTP)
// and the recipient is this account alone; otherwise the others must not
// lose the message, so this copy is dropped and the sender gets a report
// (sievereport.go).
func (p Sieve) reject(run *sieveRun, raw []byte, reason string, send []Outgoing) Action {
	e := run.m.Envelope
	if !run.rcpt.Shared && (len(e.Recipients) <= 1 || e.PerRecipient) {
		return Action{Reject: smtpreply.New(550, smtpreply.Enhanced{5, 7, 1}, "%s", sieveReason(reason))}
	}
	if o, ok := p.refusal(run, raw, sieveReason(reason)); ok {
		send = append(send, o)
	}
	return Action{Discard: true, Send: send}
}

// sieveReason is a reject reason fit for an SMTP reply: one line, no
// control characters, at most 200 octets.
func sieveReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if s = strings.TrimSpace(s); s == "" {
		s = "rejected by the recipient's filter"
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	return fmt.Sprintf("Message rejected: %s", s)
}

// addSieveFlags adds the IMAP flags of imap4flags (RFC 5232): system
// flags as flags, the others as keywords.
func addSieveFlags(a *Action, flags []string) {
	for _, f := range flags {
		switch strings.ToLower(f) {
		case `\seen`:
			a.Flags |= store.FlagSeen
		case `\answered`:
			a.Flags |= store.FlagAnswered
		case `\flagged`:
			a.Flags |= store.FlagFlagged
		case `\deleted`:
			a.Flags |= store.FlagDeleted
		case `\draft`:
			a.Flags |= store.FlagDraft
		default:
			if !strings.HasPrefix(f, `\`) && f != "" {
				a.Keywords = append(a.Keywords, f)
			}
		}
	}
}
