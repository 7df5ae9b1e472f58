package mailimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// IMAPStore is what an IMAP import needs of the store besides Store:
// it copies subscriptions and may delete the mailbox of a folder
// deleted on the source.
type IMAPStore interface {
	Store
	SetSubscribed(ctx context.Context, account store.AccountID, name string, on bool) error
	DeleteMailboxIf(ctx context.Context, account store.AccountID, name string, uidNext store.UID) error
}

// IMAPOptions are what an IMAP import adds to Options.
type IMAPOptions struct {
	// DeleteGone removes the mailbox of a folder that an earlier run
	// imported and the source no longer has, when it holds nothing but
	// messages this import brought (like imapsync's --delete2folders);
	// without it such folders are reported only.
	DeleteGone bool
}

// IMAPReport is the outcome of ImportIMAP.
type IMAPReport struct {
	Report
	// Refused lists the source's folders skipped because their name is
	// not a valid Petrel mailbox name.
	Refused []RefusedFolder
	// Gone lists the folders imported before that the source no longer
	// lists.
	Gone []GoneFolder
	// Subscribed counts the mailboxes subscribed because their folder
	// is subscribed on the source; SubscriptionsUnknown is set when the
	// server cannot say (no LIST-EXTENDED, RFC 5258).
	Subscribed           int
	SubscriptionsUnknown bool
}

// RefusedFolder is a source folder skipped for its name.
type RefusedFolder struct {
	Folder, Mailbox, Reason string
}

// GoneFolder is a folder deleted on the source.
type GoneFolder struct {
	Folder, Mailbox string // Folder is "" for a state of an earlier version
	// Deleted: its mailbox was removed (IMAPOptions.DeleteGone), or was
	// gone already; else Kept says why it stays, "" when not asked.
	Deleted bool
	Kept    string
}

// refusedName is a folder whose target name the store refuses.
type refusedName struct {
	folder, mailbox string
	err             error
}

func (r *refusedName) Error() string {
	return fmt.Sprintf("folder %s: mailbox name %q: %v", r.folder, r.mailbox, r.err)
}

// ImportIMAP copies every folder of the IMAP account src (logged in)
// into the account's mailboxes, and the subscriptions; run again, it
// moves only what changed on the source since: new messages, flags and
// keywords, expunges, folders deleted (README "Migrating to Petrel").
// A folder whose name Petrel refuses is skipped and reported, not fatal.
func ImportIMAP(ctx context.Context, st IMAPStore, account store.AccountID, src *IMAPSource, opts Options,
	iopts IMAPOptions) (IMAPReport, error) {
	start := time.Now()
	var rep IMAPReport
	im, err := newImporter(ctx, st, account, opts)
	if err != nil {
		return rep, err
	}
	if im.opts.Progress != nil {
		im.opts.Progress.Start(0)
		defer im.opts.Progress.Done()
	}
	done := func(err error) (IMAPReport, error) {
		im.rep.Elapsed = time.Since(start)
		rep.Report = im.rep
		return rep, err
	}
	acct, err := st.Account(ctx, account)
	if err != nil {
		return done(err)
	}
	keys := newStateKeys(acct.Address, account, src)
	folders, err := src.list(ctx)
	if err != nil {
		return done(err)
	}
	rep.SubscriptionsUnknown = !src.listsSubscribed()
	listed := map[string]bool{}
	for _, f := range folders {
		fs := &folderSync{im: im, src: src, name: f.name, use: f.use, key: keys.folder(f.name)}
		listed[fs.key] = true
		if err := migrateState(ctx, st, keys.legacyFolder(f.name), fs.key); err != nil {
			return done(fmt.Errorf("folder %s: %w", f.name, err))
		}
		err := fs.run(ctx)
		if r := (*refusedName)(nil); errors.As(err, &r) {
			im.opts.Log.Warn("folder skipped: Petrel refuses its name", "folder", f.name, "mailbox", r.mailbox, "reason", r.err.Error())
			rep.Refused = append(rep.Refused, RefusedFolder{Folder: f.name, Mailbox: r.mailbox, Reason: r.err.Error()})
			continue
		}
		if err != nil {
			return done(fmt.Errorf("folder %s: %w", f.name, err))
		}
		im.rep.Folders++
		if f.subscribed {
			if err := st.SetSubscribed(ctx, account, fs.state.Mailbox, true); err != nil {
				return done(err)
			}
			rep.Subscribed++
		}
	}
	if err := goneFolders(ctx, im, st, keys, listed, iopts.DeleteGone, &rep); err != nil {
		return done(err)
	}
	return done(im.raiseState(ctx))
}

// goneFolders reports the folders with a state of this source that the
// source did not list, and with del removes their mailboxes when they
// hold nothing but what this import brought (deleteGone).
func goneFolders(ctx context.Context, im *importer, st IMAPStore, keys stateKeys, listed map[string]bool, del bool, rep *IMAPReport) error {
	states, err := st.KVList(ctx, keys.prefix)
	if err != nil {
		return err
	}
	for _, k := range states {
		if !keys.isState(k.Key) || listed[k.Key] {
			continue
		}
		fs := &folderSync{im: im, key: k.Key, idmap: imapMap{m: map[uint32]uint32{}, dirty: map[uint32]bool{}}}
		b, err := st.KVLoad(ctx, k.Key)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &fs.state); err != nil {
			return fmt.Errorf("import state %s: %w", k.Key, err)
		}
		g := GoneFolder{Folder: fs.state.Folder, Mailbox: fs.state.Mailbox}
		if del {
			if g.Kept, err = fs.deleteGone(ctx, st); err != nil {
				return err
			}
			g.Deleted = g.Kept == ""
		}
		im.opts.Log.Warn("folder deleted on the source", "folder", g.Folder, "mailbox", g.Mailbox,
			"removed", g.Deleted, "kept", g.Kept)
		rep.Gone = append(rep.Gone, g)
	}
	return nil
}

// deleteGone removes the target mailbox of a folder deleted on the
// source, and the folder's state, when the mailbox holds nothing but
// messages this import brought; else it says why the mailbox stays.
// INBOX and the mailboxes of a special use stay.
func (fs *folderSync) deleteGone(ctx context.Context, st IMAPStore) (kept string, err error) {
	mb, err := st.Mailbox(ctx, fs.im.account, fs.state.Mailbox)
	if store.IsKind(err, store.KindNotFound) {
		return "", dropState(ctx, st, fs.key) // removed on Petrel already
	}
	if err != nil {
		return "", err
	}
	switch {
	case mb.Name == store.InboxName:
		return "it is INBOX", nil
	case mb.SpecialUse != store.UseNone:
		return fmt.Sprintf("it is the account's %s mailbox", mb.SpecialUse), nil
	case mb.UIDValidity != fs.state.TargetValidity:
		return "it was made again after the import", nil
	}
	if err := fs.loadMap(ctx); err != nil {
		return "", err
	}
	ours := make(map[store.UID]bool, len(fs.idmap.m))
	for _, dst := range fs.idmap.m {
		ours[store.UID(dst)] = true
	}
	others := 0
	for after := store.UID(0); ; {
		page, err := st.ListMessages(ctx, mb.ID, after, 5000)
		if err != nil {
			return "", err
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if uint32(m.UID) > fs.state.KeptUpTo && !ours[m.UID] {
				others++
			}
		}
		after = page[len(page)-1].UID
	}
	if others > 0 {
		return fmt.Sprintf("it holds %d messages that did not come from the source", others), nil
	}
	// The check above and the delete are one step for the store: a
	// message stored in the mailbox since mb was read (a delivery, a
	// client's APPEND) raised its UIDNEXT, and the mailbox stays.
	err = st.DeleteMailboxIf(ctx, fs.im.account, mb.Name, mb.UIDNext)
	if store.IsKind(err, store.KindModified) {
		return "messages were stored in it during the check", nil
	}
	if err != nil {
		return "", err
	}
	return "", dropState(ctx, st, fs.key)
}
