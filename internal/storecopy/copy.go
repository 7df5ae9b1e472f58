package storecopy

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// MarkerKey is the key/value entry a copy leaves in the destination: a
// destination that has it may be copied into again (a resumed or repeated
// copy); any other destination must be empty.
const MarkerKey = "petrel/store-copy"

// Options tune a copy. The zero value is usable.
type Options struct {
	// Progress receives one line per mailbox and a line every few
	// seconds during a large one; nil is silent.
	Progress io.Writer
	// Source names the source in the destination's marker (a data
	// directory, a database name; never a password).
	Source string
	// PageSize is the number of messages listed per page (default 500).
	PageSize int
	// BatchMessages and BatchBytes bound one import batch (defaults
	// 200 messages, 8 MiB of bodies).
	BatchMessages int
	BatchBytes    int64
	// StreamAbove: a body larger than this is imported alone, streamed
	// from the source without a copy in memory (default 1 MiB).
	StreamAbove int64
	// ProgressEvery is the interval of progress lines within a mailbox
	// (default 5 s).
	ProgressEvery time.Duration
}

func (o *Options) defaults() {
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.BatchMessages <= 0 {
		o.BatchMessages = 200
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 8 << 20
	}
	if o.StreamAbove <= 0 {
		o.StreamAbove = 1 << 20
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Report is the outcome of a copy.
type Report struct {
	Domains, Accounts, Aliases, Mailboxes int
	// Added messages were copied by this run; Present ones were in the
	// destination already (an earlier, interrupted run).
	Added, Present int64
	Queued, KV     int
	// ACLs is the number of access rights entries copied.
	ACLs    int
	Elapsed time.Duration
	// Sums are the verification of every mailbox.
	Sums []MailboxSum
}

// copier is one run of Copy.
type copier struct {
	src  store.Store
	dst  store.Store
	opts Options
	rep  Report
}

// Copy copies src into dst, then verifies the copy (Verify): the
// directory, every mailbox with its messages, expunge log, \Recent
// boundary, subscriptions and access rights, the thread keys, the
// outbound queue (its claims dropped) and the key/value entries. dst must be empty or hold
// the marker of an earlier copy. Neither store may be in use meanwhile: a
// message delivered into src during the copy may be missed, and the
// verification then fails.
func Copy(ctx context.Context, src, dst store.Store, opts Options) (Report, error) {
	opts.defaults()
	start := time.Now()
	c := &copier{src: src, dst: dst, opts: opts}
	if err := c.checkDest(ctx); err != nil {
		return c.rep, err
	}
	if err := c.directory(ctx); err != nil {
		return c.rep, err
	}
	if err := c.queueAndKV(ctx); err != nil {
		return c.rep, err
	}
	sums, err := Verify(ctx, src, dst, opts)
	c.rep.Sums = sums
	c.rep.Elapsed = time.Since(start)
	return c.rep, err
}

// checkDest refuses a destination that holds data not from a copy, and
// leaves the marker.
func (c *copier) checkDest(ctx context.Context) error {
	marked, err := c.dst.KVExists(ctx, MarkerKey)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if !marked {
		domains, err := c.dst.Domains(ctx)
		if err != nil {
			return fmt.Errorf("destination: %w", err)
		}
		queued, err := c.dst.QueuedMessages(ctx)
		if err != nil {
			return fmt.Errorf("destination: %w", err)
		}
		if len(domains) > 0 || len(queued) > 0 {
			return fmt.Errorf("the destination store is not empty (%d domains, %d queued messages) and no earlier copy "+
				"left its mark (%s): copy into an empty store", len(domains), len(queued), MarkerKey)
		}
	}
	note := fmt.Sprintf("copy of %s started %s\n", c.opts.Source, time.Now().UTC().Format(time.RFC3339))
	return c.dst.ImportKV(ctx, store.KeyInfo{Key: MarkerKey, Modified: time.Now()}, []byte(note))
}

// directory copies the counters, domains, accounts with their mail,
// aliases and the access rights on the mailboxes.
func (c *copier) directory(ctx context.Context) error {
	counters, err := c.src.Counters(ctx)
	if err != nil {
		return err
	}
	if err := c.dst.ImportCounters(ctx, counters); err != nil {
		return err
	}
	domains, err := c.src.Domains(ctx)
	if err != nil {
		return err
	}
	for _, d := range domains {
		if err := c.dst.AddDomain(ctx, d); err != nil && !store.IsKind(err, store.KindExists) {
			return fmt.Errorf("domain %s: %w", d, err)
		}
	}
	c.rep.Domains = len(domains)
	accts, err := c.src.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if err := c.account(ctx, a); err != nil {
			return fmt.Errorf("account %s: %w", a.Address, err)
		}
	}
	c.rep.Accounts = len(accts)
	aliases, err := c.src.Aliases(ctx)
	if err != nil {
		return err
	}
	for addr, targets := range aliases {
		if err := c.dst.SetAlias(ctx, addr, targets); err != nil {
			return fmt.Errorf("alias %s: %w", addr, err)
		}
	}
	c.rep.Aliases = len(aliases)
	return c.acls(ctx, accts)
}

// account copies one account: its addresses, thread keys, mailboxes and
// subscriptions.
func (c *copier) account(ctx context.Context, a store.Account) error {
	state, err := c.src.AccountState(ctx, a.ID)
	if err != nil {
		return err
	}
	id, err := c.dst.ImportAccount(ctx, a, state)
	if err != nil {
		return err
	}
	addrs, err := c.src.Addresses(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, ad := range addrs {
		if ad != a.Address {
			if err := c.dst.ImportAddress(ctx, id, ad); err != nil {
				return fmt.Errorf("address %s: %w", ad, err)
			}
		}
	}
	if err := c.threadKeys(ctx, a.ID, id); err != nil {
		return err
	}
	mbs, err := c.src.Mailboxes(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, mb := range mbs {
		if err := c.mailbox(ctx, a.Address, id, mb); err != nil {
			return fmt.Errorf("mailbox %s: %w", mb.Name, err)
		}
		c.rep.Mailboxes++
	}
	subs, err := c.src.Subscriptions(ctx, a.ID)
	if err != nil {
		return err
	}
	return c.dst.ImportSubscriptions(ctx, id, subs)
}

// threadKeys copies an account's thread keys, a page at a time.
func (c *copier) threadKeys(ctx context.Context, from, to store.AccountID) error {
	for after := ""; ; {
		keys, err := c.src.ListThreadKeys(ctx, from, after, c.opts.PageSize)
		if err != nil || len(keys) == 0 {
			return err
		}
		if err := c.dst.ImportThreadKeys(ctx, to, keys); err != nil {
			return err
		}
		after = keys[len(keys)-1].Key
	}
}

// queueAndKV copies the outbound queue and the key/value entries (DKIM
// keys among them).
func (c *copier) queueAndKV(ctx context.Context) error {
	queued, err := c.src.QueuedMessages(ctx)
	if err != nil {
		return err
	}
	for _, q := range queued {
		bl, err := c.src.OpenBlob(ctx, q.Blob)
		if err != nil {
			return fmt.Errorf("queued message %s: %w", q.ID, err)
		}
		_, err = c.dst.ImportQueued(ctx, q, bl)
		bl.Close()
		if err != nil {
			return fmt.Errorf("queued message %s: %w", q.ID, err)
		}
	}
	c.rep.Queued = len(queued)
	infos, err := c.src.KVList(ctx, "")
	if err != nil {
		return err
	}
	for _, info := range infos {
		if info.Key == MarkerKey {
			continue
		}
		v, err := c.src.KVLoad(ctx, info.Key)
		if err != nil {
			return fmt.Errorf("key %s: %w", info.Key, err)
		}
		if err := c.dst.ImportKV(ctx, info, v); err != nil {
			return fmt.Errorf("key %s: %w", info.Key, err)
		}
		c.rep.KV++
	}
	fmt.Fprintf(c.opts.Progress, "queue: %d messages; key/value entries: %d\n", c.rep.Queued, c.rep.KV)
	return nil
}
