package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/store"
)

// sieveRun is one account's copy under its scripts: what the
// Environment's tests read (mailboxes, duplicates, includes) and what
// the actions change, read from the store at most once.
type sieveRun struct {
	ctx  context.Context
	p    Sieve
	m    *Message
	rcpt Rcpt
	acct store.Account
	now  time.Time
	mbs  []store.Mailbox
	read bool // mbs was read
}

func (p Sieve) newSieveRun(ctx context.Context, m *Message, rcpt Rcpt, acct store.Account) *sieveRun {
	return &sieveRun{ctx: ctx, p: p, m: m, rcpt: rcpt, acct: acct, now: time.Now()}
}

// environment is what the scripts read besides the message.
func (r *sieveRun) environment() sieve.Environment {
	e := r.m.Envelope
	remoteIP := ""
	if e.ClientIP.IsValid() {
		remoteIP = e.ClientIP.String()
	}
	score, percent := spamTest(r.m)
	env := sieve.Environment{Now: r.now,
		Items:     sieve.EnvironmentItems(r.rcpt.Addr.Domain, r.p.Hostname, e.ClientHost, remoteIP, ""),
		Envelope:  sieve.Envelope{From: e.ReversePath(), To: r.rcpt.Addr.String(), Auth: e.AuthAccount},
		SpamScore: score, SpamPercent: percent, Includes: sieveIncludes{r}}
	if r.p.Store != nil {
		env.Mailboxes, env.Duplicates = sieveMailboxes{r}, sieveDuplicates{r}
	}
	return env
}

// spamTest maps the content filter's verdict to spamtest's 1 (clear) to
// 10 (spam) and spamtestplus's 0 to 100 percent, by the score against
// rspamd's threshold; "0" both when the message was not scanned (RFC
// 5235 §3.2, §3.3).
func spamTest(m *Message) (string, string) {
	res := m.Spam.Result
	if !m.Spam.Scanned || res.Skipped || res.Required <= 0 {
		return "0", "0"
	}
	ratio := math.Min(math.Max(res.Score/res.Required, 0), 1)
	level := 1
	switch {
	case ratio >= 1:
		level = 10
	case ratio > 0:
		level = 1 + int(math.Ceil(ratio*8))
	}
	return strconv.Itoa(level), strconv.Itoa(int(math.Round(ratio * 100)))
}

// mailboxes are the account's mailboxes, read once; nil when they cannot
// be read (logged).
func (r *sieveRun) mailboxes() []store.Mailbox {
	if !r.read && r.p.Store != nil {
		r.read = true
		mbs, err := r.p.Store.Mailboxes(r.ctx, r.rcpt.Account)
		if err != nil {
			r.p.logger().Warn("sieve: mailboxes not read", "account", r.acct.Address, "err", err)
		}
		r.mbs = mbs
	}
	return r.mbs
}

func (r *sieveRun) hasMailbox(name string) bool {
	if strings.EqualFold(name, "INBOX") {
		return true
	}
	for _, mb := range r.mailboxes() {
		if mb.Name == name {
			return true
		}
	}
	return false
}

// fileInto is the mailbox a fileinto files in: with :create a missing
// one is made (RFC 5490 §3.2); a mailbox that is missing (or cannot be
// made) leaves the choice to the store, which files in INBOX.
func (r *sieveRun) fileInto(name string, create bool) string {
	if !create || r.p.Store == nil || r.hasMailbox(name) {
		return name
	}
	mb, err := r.p.Store.CreateMailbox(r.ctx, r.rcpt.Account, name, store.UseNone)
	if err != nil && !store.IsKind(err, store.KindExists) {
		r.p.logger().Warn("sieve: fileinto :create failed; filed in INBOX", "account", r.acct.Address, "mailbox", name, "err", err)
		return name
	}
	if err == nil {
		r.mbs = append(r.mbs, mb)
	}
	return name
}

// sieveMailboxes answers mailboxexists (RFC 5490 §3.1).
type sieveMailboxes struct{ r *sieveRun }

func (s sieveMailboxes) MailboxExists(name string) bool { return s.r.hasMailbox(name) }

// sieveDuplicates tracks the duplicate test's keys (RFC 7352) in the
// store's KV, per account: the value is the time the entry expires.
type sieveDuplicates struct{ r *sieveRun }

func duplicateKey(addr, key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sieve-duplicate/" + url.PathEscape(strings.ToLower(addr)) + "/" + hex.EncodeToString(sum[:16])
}

// Seen reports whether key was recorded and has not expired; an expired
// entry is removed.
func (d sieveDuplicates) Seen(key string) bool {
	r := d.r
	k := duplicateKey(r.acct.Address, key)
	v, err := r.p.Store.KVLoad(r.ctx, k)
	if err != nil {
		return false
	}
	until, err := time.Parse(time.RFC3339, string(v))
	if err != nil || !r.now.Before(until) {
		_ = r.p.Store.KVDelete(r.ctx, k)
		return false
	}
	return true
}

// recordDuplicates records the run's duplicate keys once the copy is
// delivered (RFC 7352 §3: tracked for the delivered message;
// Action.Stored).
func (r *sieveRun) recordDuplicates(ctx context.Context, marks []sieve.DuplicateMark) {
	if r.p.Store == nil {
		return
	}
	for _, d := range marks {
		until := r.now.Add(d.Period).UTC().Format(time.RFC3339)
		if err := r.p.Store.KVStore(ctx, duplicateKey(r.acct.Address, d.Key), []byte(until)); err != nil {
			r.p.logger().Warn("sieve: duplicate not recorded", "account", r.acct.Address, "err", err)
		}
	}
}

// sieveIncludes loads included scripts (RFC 6609 §3.2): personal ones
// from the account's scripts, :global ones from the operator's directory.
type sieveIncludes struct{ r *sieveRun }

func (i sieveIncludes) Include(name string, global bool) (*sieve.Script, error) {
	if global {
		if i.r.p.Global == nil {
			return nil, errNoGlobalScripts
		}
		return i.r.p.Global.Include(name)
	}
	return i.r.p.Scripts.Include(i.r.ctx, i.r.acct.Address, name)
}
