package mailimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/petrelmail/petrel/internal/maildir"
	"github.com/petrelmail/petrel/internal/store"
)

// MaildirSource reads a Maildir or Dovecot Maildir++ tree: folders, flags
// of the file names, keywords of dovecot-keywords, INTERNALDATE of the
// file's modification time (what Dovecot's maildir keeps it in) and,
// when a folder has a dovecot-uidlist, its UIDVALIDITY and UIDs.
type MaildirSource struct {
	Root string
	// MaxSize bounds a message; a bigger one is skipped and reported.
	MaxSize int64
	// NoUIDs ignores dovecot-uidlist.
	NoUIDs bool
	// TempDir holds the sorted runs of a large folder's listing
	// (maildir.Ordered); os.TempDir when empty.
	TempDir string
	dirs    map[string]string // folder name -> directory
}

// Folders implements Source.
func (s *MaildirSource) Folders() ([]Folder, error) {
	fs, err := maildir.Folders(s.Root)
	if err != nil {
		return nil, err
	}
	out := make([]Folder, 0, len(fs))
	s.dirs = map[string]string{}
	for _, f := range fs {
		s.dirs[f.Name] = f.Dir
		n, err := maildir.Count(f.Dir)
		if err != nil {
			return nil, err
		}
		folder := Folder{Name: f.Name, Units: n}
		if l, err := s.uidlist(f.Dir); err != nil {
			return nil, fmt.Errorf("folder %s: %w", f.Name, err)
		} else if l != nil {
			folder.UIDValidity, folder.NextUID = l.UIDValidity, l.NextUID
		}
		out = append(out, folder)
	}
	return out, nil
}

// uidlist reads the header of the folder's dovecot-uidlist, with the
// next UID above every UID it lists (maildir.ScanUIDList); nil without
// one.
func (s *MaildirSource) uidlist(dir string) (*maildir.UIDList, error) {
	f, err := s.openUIDList(dir)
	if f == nil || err != nil {
		return nil, err
	}
	defer f.Close()
	return maildir.ScanUIDList(f, nil)
}

// openUIDList opens the folder's dovecot-uidlist: nil without one, or
// with NoUIDs.
func (s *MaildirSource) openUIDList(dir string) (*os.File, error) {
	if s.NoUIDs {
		return nil, nil
	}
	f, err := os.Open(filepath.Join(dir, "dovecot-uidlist"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// Messages implements Source: with a uidlist, the messages it lists in
// UID order, then those it does not list with the next UIDs in the order
// of delivery (what Dovecot would give them); the listing is streamed
// and sorted on disk (maildir.Ordered), so memory does not grow with the
// folder.
func (s *MaildirSource) Messages(ctx context.Context, f Folder, fn func(*Message) error) error {
	dir, ok := s.dirs[f.Name]
	if !ok {
		return fmt.Errorf("no directory for folder %s", f.Name)
	}
	var kw *maildir.Keywords
	if kf, err := os.Open(filepath.Join(dir, "dovecot-keywords")); err == nil {
		kw, err = maildir.ParseKeywords(kf)
		kf.Close()
		if err != nil {
			return err
		}
	}
	ul, err := s.openUIDList(dir)
	if err != nil {
		return err
	}
	var list io.Reader // a nil *os.File would not be a nil io.Reader
	if ul != nil {
		defer ul.Close()
		list = ul
	}
	return maildir.Ordered(dir, list, f.NextUID, s.TempDir, func(e maildir.Entry, uid uint32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		info := e.Info()
		path := e.Path(dir)
		m := &Message{UID: uid, Flags: maildirLetters.flags(info.Flags), Keywords: kw.Of(info.Keywords),
			Date: time.Unix(0, e.ModTime), Where: path, Units: 1}
		if e.Size > s.MaxSize {
			m.Skip = fmt.Sprintf("%d bytes, over the limit of %d", e.Size, s.MaxSize)
		} else {
			body, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil // expunged or moved by a running Dovecot meanwhile
			}
			if err != nil {
				return err
			}
			m.Body = CRLF(body)
		}
		return fn(m)
	})
}

// maildirLetters are the flag letters of a Maildir file name (P, passed,
// has no IMAP flag), in the order a name lists them.
var maildirLetters = letters{{store.FlagDraft, 'D'}, {store.FlagFlagged, 'F'}, {store.FlagAnswered, 'R'},
	{store.FlagSeen, 'S'}, {store.FlagDeleted, 'T'}}
