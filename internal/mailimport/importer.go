package mailimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// Store is what an import and an export need of the store.
type Store interface {
	Account(ctx context.Context, id store.AccountID) (store.Account, error)
	Mailboxes(ctx context.Context, account store.AccountID) ([]store.Mailbox, error)
	Mailbox(ctx context.Context, account store.AccountID, name string) (store.Mailbox, error)
	CreateMailbox(ctx context.Context, account store.AccountID, name string, use store.SpecialUse) (store.Mailbox, error)
	AppendBatch(ctx context.Context, account store.AccountID, mailbox store.MailboxID, msgs []store.AppendMessage) (store.Appended, error)
	Messages(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.Message, error)
	ReadMessages(ctx context.Context, mailbox store.MailboxID, uids []store.UID, what store.ReadFlags, fn func(*store.MessageData) error) error
	Quota(ctx context.Context, account store.AccountID) (store.Quota, error)
	AccountState(ctx context.Context, account store.AccountID) (store.State, error)
	ImportAccount(ctx context.Context, a store.Account, state store.State) (store.AccountID, error)
	ImportMailbox(ctx context.Context, account store.AccountID, mb store.Mailbox) (store.Mailbox, error)
	ImportMessages(ctx context.Context, account store.AccountID, mailbox store.MailboxID, msgs []store.ImportMessage) (store.Imported, error)
	ImportCounters(ctx context.Context, c store.Counters) error
	ReserveEmailIDs(ctx context.Context, n int) ([]store.EmailID, error)
	// For the incremental IMAP import (imapsync.go).
	ListMessages(ctx context.Context, mailbox store.MailboxID, after store.UID, limit int) ([]store.Message, error)
	StoreFlags(ctx context.Context, mailbox store.MailboxID, uids []store.UID, change store.FlagChange) (store.FlagResult, error)
	Expunge(ctx context.Context, mailbox store.MailboxID, uids []store.UID) ([]store.UID, error)
	KVStore(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVDelete(ctx context.Context, key string) error
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
}

// Options tune an import.
type Options struct {
	// BatchBytes and BatchMessages bound one write (and so the memory
	// an import holds); defaults 16 MiB and 500.
	BatchBytes    int64
	BatchMessages int
	// NoUIDs gives new UIDs even when the source has its own.
	NoUIDs bool
	// Progress, when set, is told of every message.
	Progress *Progress
	Log      *slog.Logger
}

// Report is the outcome of an import.
type Report struct {
	Folders int
	// Added were stored; Present were there already (an earlier run);
	// Skipped could not be (Options.Log names them).
	Added, Present, Skipped int
	// Updated had their flags or keywords changed, Expunged were
	// removed: what an incremental IMAP import found changed or gone
	// on the source.
	Updated, Expunged int
	// KeptUIDs counts the folders imported with the source's
	// UIDVALIDITY and UIDs.
	KeptUIDs int
	Elapsed  time.Duration
}

// ErrOverQuota is returned when the account's quota cannot take the
// next message: what was imported before it stays (README "Migrating to
// Petrel").
var ErrOverQuota = errors.New("the account's quota is full")

// importer is one import into one account.
type importer struct {
	st      Store
	account store.AccountID
	opts    Options
	rep     Report
	quota   store.Quota
}

// Import copies every folder of src into the account's mailboxes of the
// same names, creating those missing.
func Import(ctx context.Context, st Store, account store.AccountID, src Source, opts Options) (Report, error) {
	start := time.Now()
	im, err := newImporter(ctx, st, account, opts)
	if err != nil {
		return Report{}, err
	}
	opts = im.opts
	folders, err := src.Folders()
	if err != nil {
		return im.rep, err
	}
	if opts.Progress != nil {
		var total int64
		for _, f := range folders {
			total += f.Units
		}
		opts.Progress.Start(total)
		defer opts.Progress.Done()
	}
	for _, f := range folders {
		if err := im.folder(ctx, src, f); err != nil {
			im.rep.Elapsed = time.Since(start)
			return im.rep, fmt.Errorf("folder %s: %w", f.Name, err)
		}
		im.rep.Folders++
	}
	// Imported messages publish no changes: raise the account's state
	// so that a client holding the earlier one (JMAP) learns something
	// changed.
	if err := im.raiseState(ctx); err != nil {
		return im.rep, err
	}
	im.rep.Elapsed = time.Since(start)
	return im.rep, nil
}

// newImporter loads what an import into account needs: the quota. It
// holds no thread keys: the store threads each message in the write
// that stores it (store.ImportMessage.ThreadID 0).
func newImporter(ctx context.Context, st Store, account store.AccountID, opts Options) (*importer, error) {
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 4 << 20
	}
	if opts.BatchMessages <= 0 {
		opts.BatchMessages = 200
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	im := &importer{st: st, account: account, opts: opts}
	var err error
	if im.quota, err = st.Quota(ctx, account); err != nil {
		return nil, err
	}
	return im, nil
}

func (im *importer) raiseState(ctx context.Context) error {
	a, err := im.st.Account(ctx, im.account)
	if err != nil {
		return err
	}
	state, err := im.st.AccountState(ctx, im.account)
	if err != nil {
		return err
	}
	_, err = im.st.ImportAccount(ctx, a, state+1)
	return err
}

// sink is where a folder's batches go: with the source's UIDs or new
// ones.
type sink interface {
	// write stores msgs (already checked against the quota); it reports
	// how many were added and present.
	write(ctx context.Context, msgs []*pending) (added, present int, err error)
}

// pending is a message read and parsed, waiting in a batch.
type pending struct {
	Message
	meta *msgmeta.Meta
	// target is the message's UID in the mailbox once written (added
	// or found present), 0 if it was not.
	target store.UID
}

// folder imports one folder.
func (im *importer) folder(ctx context.Context, src Source, f Folder) error {
	sk, err := im.sinkFor(ctx, f)
	if err != nil {
		return err
	}
	var batch []*pending
	var size int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		added, present, err := sk.write(ctx, batch)
		im.rep.Added += added
		im.rep.Present += present
		batch, size = batch[:0], 0
		return err
	}
	err = src.Messages(ctx, f, func(m *Message) error {
		if m.Skip != "" {
			im.rep.Skipped++
			im.opts.Log.Warn("message skipped", "message", m.Where, "reason", m.Skip)
			im.opts.Progress.Add(m.Units)
			return nil
		}
		p := &pending{Message: *m, meta: msgmeta.ParseBytes(m.Body)}
		if p.Date.IsZero() {
			p.Date = p.meta.SentDate
		}
		if p.Date.IsZero() {
			p.Date = p.Fallback
		}
		batch = append(batch, p)
		size += int64(len(p.Body))
		im.opts.Progress.Add(m.Units)
		if len(batch) >= im.opts.BatchMessages || size >= im.opts.BatchBytes {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// fits trims msgs to those the account's quota takes, charging them, and
// reports ErrOverQuota when it had to trim.
func (im *importer) fits(msgs []*pending) ([]*pending, error) {
	q := &im.quota
	for i, m := range msgs {
		size := int64(len(m.Body))
		if q.MaxBytes > 0 && q.UsedBytes+size > q.MaxBytes || q.MaxMessages > 0 && q.UsedMessages+1 > q.MaxMessages {
			return msgs[:i], fmt.Errorf("%w (%d of %d bytes, %d of %d messages used) at %s", ErrOverQuota,
				q.UsedBytes, q.MaxBytes, q.UsedMessages, q.MaxMessages, m.Where)
		}
		q.UsedBytes += size
		q.UsedMessages++
	}
	return msgs, nil
}

// sinkFor opens the mailbox of folder f: with the source's UIDs when it
// has them and the mailbox can take them (new, empty, or with the same
// UIDVALIDITY: an earlier run), else with new UIDs.
func (im *importer) sinkFor(ctx context.Context, f Folder) (sink, error) {
	mb, err := im.st.Mailbox(ctx, im.account, f.Name)
	exists := err == nil
	if err != nil && !store.IsKind(err, store.KindNotFound) {
		return nil, err
	}
	if f.UIDValidity != 0 && !im.opts.NoUIDs {
		if !exists || mb.UIDNext == 1 || mb.UIDValidity == f.UIDValidity {
			return im.uidSink(ctx, f, mb, exists)
		}
		im.opts.Log.Warn("mailbox holds other messages already: new UIDs", "mailbox", f.Name,
			"uidvalidity", mb.UIDValidity, "source_uidvalidity", f.UIDValidity)
	}
	if !exists {
		use, err := im.freeUse(ctx, f)
		if err != nil {
			return nil, err
		}
		if mb, err = im.st.CreateMailbox(ctx, im.account, f.Name, use); err != nil {
			return nil, err
		}
	}
	return im.appendSink(ctx, mb)
}

// freeUse is the special use a new mailbox for f takes: the source's,
// else the one its name suggests, when no mailbox of the account has it.
func (im *importer) freeUse(ctx context.Context, f Folder) (store.SpecialUse, error) {
	use := f.Use
	if use == store.UseNone {
		use = guessUse(f.Name)
	}
	if use == store.UseNone {
		return use, nil
	}
	mbs, err := im.st.Mailboxes(ctx, im.account)
	if err != nil {
		return "", err
	}
	for _, mb := range mbs {
		if mb.SpecialUse == use {
			return store.UseNone, nil
		}
	}
	return use, nil
}

// bodyReader gives a body to the store.
func bodyReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
