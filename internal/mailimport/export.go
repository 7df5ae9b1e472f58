package mailimport

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/maildir"
	"github.com/petrelmail/petrel/internal/mbox"
	"github.com/petrelmail/petrel/internal/store"
)

// Format is an export's file format.
type Format int

const (
	// Maildir is a Dovecot Maildir++ tree with dovecot-uidlist and
	// dovecot-keywords.
	Maildir Format = iota
	// Mbox is one mboxrd file per mailbox ("Work/Project.mbox").
	Mbox
)

// ExportStore is what an export needs of the store.
type ExportStore interface {
	Mailboxes(ctx context.Context, account store.AccountID) ([]store.Mailbox, error)
	ListMessages(ctx context.Context, mailbox store.MailboxID, after store.UID, limit int) ([]store.Message, error)
	ReadMessages(ctx context.Context, mailbox store.MailboxID, uids []store.UID, what store.ReadFlags, fn func(*store.MessageData) error) error
}

// ExportReport is the outcome of an export.
type ExportReport struct {
	Mailboxes, Messages int
	// Skipped lists the mailboxes a Maildir++ tree cannot hold (a name
	// part with ".").
	Skipped []string
	// DroppedKeywords counts the keywords beyond the 26 a Maildir
	// folder can name.
	DroppedKeywords int
	Elapsed         time.Duration
}

// exportPage is how many messages an export reads at a time.
const exportPage = 500

// Export writes every mailbox of the account below dest, streaming: one
// page of records and one body at a time. A run again rewrites the same
// files.
func Export(ctx context.Context, st ExportStore, account store.AccountID, dest string, format Format, progress *Progress) (ExportReport, error) {
	start := time.Now()
	var rep ExportReport
	mbs, err := st.Mailboxes(ctx, account)
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return rep, err
	}
	if progress != nil {
		var total int64
		for _, mb := range mbs {
			total += mb.Messages
		}
		progress.Start(total)
		defer progress.Done()
	}
	for _, mb := range mbs {
		var err error
		switch format {
		case Maildir:
			err = exportMaildir(ctx, st, mb, dest, &rep, progress)
		case Mbox:
			err = exportMbox(ctx, st, mb, dest, &rep, progress)
		}
		if err != nil {
			return rep, fmt.Errorf("mailbox %s: %w", mb.Name, err)
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// eachMessage calls fn for every message of mb with its body, in UID
// order, a page at a time.
func eachMessage(ctx context.Context, st ExportStore, mb store.Mailbox, fn func(*store.MessageData) error) error {
	var after store.UID
	for {
		page, err := st.ListMessages(ctx, mb.ID, after, exportPage)
		if err != nil || len(page) == 0 {
			return err
		}
		uids := make([]store.UID, len(page))
		for i, m := range page {
			uids[i] = m.UID
		}
		if err := st.ReadMessages(ctx, mb.ID, uids, store.ReadBody, fn); err != nil {
			return err
		}
		after = page[len(page)-1].UID
	}
}

func exportMaildir(ctx context.Context, st ExportStore, mb store.Mailbox, dest string, rep *ExportReport, progress *Progress) error {
	if _, ok := maildir.DirName(mb.Name); !ok && !strings.EqualFold(mb.Name, store.InboxName) {
		rep.Skipped = append(rep.Skipped, mb.Name)
		return nil
	}
	w, err := maildir.NewWriter(dest, mb.Name, mb.UIDValidity, uint32(mb.UIDNext))
	if err != nil {
		return err
	}
	err = eachMessage(ctx, st, mb, func(d *store.MessageData) error {
		dropped, err := w.Put(maildir.Message{UID: uint32(d.UID), Flags: maildirLetters.of(d.Flags), Keywords: d.Keywords,
			InternalDate: d.InternalDate, VirtualSize: d.Size}, &lfReader{r: d.Body})
		rep.DroppedKeywords += len(dropped)
		rep.Messages++
		progress.Add(1)
		return err
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	rep.Mailboxes++
	return err
}

func exportMbox(ctx context.Context, st ExportStore, mb store.Mailbox, dest string, rep *ExportReport, progress *Progress) error {
	path := filepath.Join(dest, filepath.FromSlash(mb.Name)+".mbox")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// Written aside and renamed: a run killed halfway leaves the file of
	// the run before, and the next run writes it whole.
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w := mbox.NewWriter(f)
	err = eachMessage(ctx, st, mb, func(d *store.MessageData) error {
		rep.Messages++
		progress.Add(1)
		return w.Write(&mbox.Message{Date: d.InternalDate, Flags: mboxLetters.of(d.Flags), Keywords: d.Keywords}, d.Body)
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	rep.Mailboxes++
	return err
}

// lfReader reads r with CRLF line endings turned into LF (a CR before
// the end of a read is held back until the next byte is known).
type lfReader struct {
	r       io.Reader
	buf     [32 << 10]byte
	out     []byte
	heldCR  bool
	pending []byte
	err     error
}

func (l *lfReader) Read(p []byte) (int, error) {
	for len(l.pending) == 0 {
		if l.err != nil {
			if l.heldCR {
				l.heldCR = false
				l.pending = []byte{'\r'}
				break
			}
			return 0, l.err
		}
		n, err := l.r.Read(l.buf[:])
		l.err = err
		out := l.out[:0]
		for _, c := range l.buf[:n] {
			if l.heldCR {
				l.heldCR = false
				if c != '\n' {
					out = append(out, '\r')
				}
			}
			if c == '\r' {
				l.heldCR = true
				continue
			}
			out = append(out, c)
		}
		l.out, l.pending = out, out
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}
