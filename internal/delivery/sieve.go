package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// SieveScripts gives the active Sieve script of an account (package
// sievescripts), nil when it has none.
type SieveScripts interface {
	Active(ctx context.Context, addr string) (*sieve.Script, error)
}

// AccountReader finds an account's primary address.
type AccountReader interface {
	Account(ctx context.Context, id store.AccountID) (store.Account, error)
}

// Sieve is the policy that runs each account's active Sieve script
// (RFC 5228) on its copy, after the spam policies (README "Filters and
// vacation"): fileinto and keep choose the mailbox, imap4flags the flags
// and keywords, discard drops the copy, reject and ereject refuse it
// (550 5.7.1 with the script's reason). A script that fails, or a lookup
// that does, keeps the copy where the earlier policies put it: a filter
// never loses a message (RFC 5228 §2.10.6). Not yet done here, and kept
// instead (logged): redirect and vacation.
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
}

// Decide implements Policy.
func (p Sieve) Decide(ctx context.Context, m *Message, rcpt Rcpt) (Action, error) {
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	acct, err := p.Accounts.Account(ctx, rcpt.Account)
	if err != nil {
		log.Warn("sieve: account not read; message kept", "account", rcpt.Account, "err", err)
		return Action{}, nil
	}
	script, err := p.Scripts.Active(ctx, acct.Address)
	if err != nil || script == nil {
		if err != nil {
			log.Warn("sieve: active script not loaded; message kept", "account", acct.Address, "err", err)
		}
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
	e := m.Envelope
	remoteIP := ""
	if e.ClientIP.IsValid() {
		remoteIP = e.ClientIP.String()
	}
	env := sieve.Environment{Now: time.Now(), Items: sieve.EnvironmentItems(rcpt.Addr.Domain, p.Hostname, e.ClientHost, remoteIP, ""),
		Envelope: sieve.Envelope{From: m.Envelope.ReversePath(), To: rcpt.Addr.String(), Auth: m.Envelope.AuthAccount}}
	res := script.Run(ctx, sieve.ParseMessage(raw), env)
	if res.Err != nil {
		log.Warn("sieve: script failed; message kept", "account", acct.Address, "err", res.Err)
	}
	return sieveAction(res, acct.Address, log), nil
}

// sieveAction maps a run's actions to the policy's Action. One copy is
// stored per account: of several fileinto and keep actions the first
// fileinto wins (logged).
func sieveAction(res sieve.Result, addr string, log *slog.Logger) Action {
	var a Action
	filed, kept := false, false
	for _, act := range res.Actions {
		switch act.Kind {
		case sieve.Reject, sieve.Ereject:
			return Action{Reject: smtpreply.New(550, smtpreply.Enhanced{5, 7, 1}, "%s", sieveReason(act.Reason))}
		case sieve.FileInto:
			if filed {
				log.Info("sieve: one copy per account; a further fileinto is not done", "account", addr, "mailbox", act.Mailbox)
				continue
			}
			filed = true
			a.Mailbox = act.Mailbox
			addSieveFlags(&a, act.Flags)
		case sieve.Keep:
			kept = true
			if !filed {
				addSieveFlags(&a, act.Flags)
			}
		case sieve.Discard:
		default: // redirect, vacation: later (issue 18); the copy is kept
			kept = true
			log.Info("sieve: action not done yet; message kept", "account", addr, "action", string(act.Kind))
		}
	}
	if !filed && !kept {
		return Action{Discard: true}
	}
	return a
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
