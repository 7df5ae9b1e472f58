package mailimport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
	dirs   map[string]string // folder name -> directory
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
		ents, err := maildir.Entries(f.Dir)
		if err != nil {
			return nil, err
		}
		folder := Folder{Name: f.Name, Units: int64(len(ents))}
		if l, err := s.uidlist(f.Dir); err != nil {
			return nil, fmt.Errorf("folder %s: %w", f.Name, err)
		} else if l != nil {
			folder.UIDValidity, folder.NextUID = l.UIDValidity, l.NextUID
		}
		out = append(out, folder)
	}
	return out, nil
}

func (s *MaildirSource) uidlist(dir string) (*maildir.UIDList, error) {
	if s.NoUIDs {
		return nil, nil
	}
	f, err := os.Open(filepath.Join(dir, "dovecot-uidlist"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return maildir.ParseUIDList(f)
}

// Messages implements Source: with a uidlist, the messages it lists in
// UID order, then those it does not list with the next UIDs in the order
// of Entries (what Dovecot would give them).
func (s *MaildirSource) Messages(ctx context.Context, f Folder, fn func(*Message) error) error {
	dir, ok := s.dirs[f.Name]
	if !ok {
		return fmt.Errorf("no directory for folder %s", f.Name)
	}
	ents, err := maildir.Entries(dir)
	if err != nil {
		return err
	}
	var kw *maildir.Keywords
	if kf, err := os.Open(filepath.Join(dir, "dovecot-keywords")); err == nil {
		kw, err = maildir.ParseKeywords(kf)
		kf.Close()
		if err != nil {
			return err
		}
	}
	uids := make([]uint32, len(ents))
	if l, err := s.uidlist(dir); err != nil {
		return err
	} else if l != nil {
		next := max(l.NextUID, f.NextUID)
		for i, e := range ents {
			if uid, ok := l.UIDs[e.Info().Base]; ok {
				uids[i] = uid
			} else {
				uids[i] = next
				next++
			}
		}
		sort.Stable(byUID{ents, uids})
	}
	for i, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		info := e.Info()
		path := e.Path(dir)
		m := &Message{UID: uids[i], Flags: maildirLetters.flags(info.Flags), Keywords: kw.Of(info.Keywords),
			Date: time.Unix(0, e.ModTime), Where: path, Units: 1}
		if e.Size > s.MaxSize {
			m.Skip = fmt.Sprintf("%d bytes, over the limit of %d", e.Size, s.MaxSize)
		} else {
			body, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue // expunged or moved by a running Dovecot meanwhile
			}
			if err != nil {
				return err
			}
			m.Body = CRLF(body)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

type byUID struct {
	ents []maildir.Entry
	uids []uint32
}

func (b byUID) Len() int           { return len(b.ents) }
func (b byUID) Less(i, j int) bool { return b.uids[i] < b.uids[j] }
func (b byUID) Swap(i, j int) {
	b.ents[i], b.ents[j] = b.ents[j], b.ents[i]
	b.uids[i], b.uids[j] = b.uids[j], b.uids[i]
}

// maildirLetters are the flag letters of a Maildir file name (P, passed,
// has no IMAP flag), in the order a name lists them.
var maildirLetters = letters{{store.FlagDraft, 'D'}, {store.FlagFlagged, 'F'}, {store.FlagAnswered, 'R'},
	{store.FlagSeen, 'S'}, {store.FlagDeleted, 'T'}}
