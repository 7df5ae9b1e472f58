package mailimport

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/petrelmail/petrel/internal/mbox"
	"github.com/petrelmail/petrel/internal/store"
)

// MboxSource reads an mbox file (one folder, INBOX unless Name says
// otherwise) or a directory tree of them: each file is a folder named by
// its path below the root, without a ".mbox" extension, with
// Thunderbird's ".sbd" directories as parents ("Work.sbd/Project" is
// Work/Project).
type MboxSource struct {
	Path string
	// Name is the folder of a single file (default INBOX).
	Name    string
	MaxSize int64
	files   map[string]string // folder name -> file
}

// Folders implements Source.
func (s *MboxSource) Folders() ([]Folder, error) {
	st, err := os.Stat(s.Path)
	if err != nil {
		return nil, err
	}
	s.files = map[string]string{}
	if !st.IsDir() {
		name := s.Name
		if name == "" {
			name = "INBOX"
		}
		s.files[name] = s.Path
		return []Folder{{Name: name, Units: st.Size()}}, nil
	}
	var out []Folder
	err = filepath.WalkDir(s.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") || strings.HasSuffix(d.Name(), ".msf") {
			return nil
		}
		rel, err := filepath.Rel(s.Path, p)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for i, part := range parts {
			parts[i] = strings.TrimSuffix(strings.TrimSuffix(part, ".sbd"), ".mbox")
		}
		name := strings.Join(parts, "/")
		if strings.EqualFold(name, "INBOX") {
			name = "INBOX"
		}
		if other, dup := s.files[name]; dup {
			return fmt.Errorf("%s and %s would both be mailbox %s", other, p, name)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		s.files[name] = p
		out = append(out, Folder{Name: name, Units: info.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Messages implements Source.
func (s *MboxSource) Messages(ctx context.Context, f Folder, fn func(*Message) error) error {
	path, ok := s.files[f.Name]
	if !ok {
		return fmt.Errorf("no file for folder %s", f.Name)
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	cr := &countingReader{r: file}
	r := mbox.NewReader(cr, int(min(s.MaxSize, 1<<40)))
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		mm, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m := &Message{Flags: mboxLetters.flags(mm.Flags), Keywords: mm.Keywords, Date: mm.Date, Fallback: st.ModTime(),
			Where: fmt.Sprintf("%s line %d", path, mm.Line), Units: cr.n - done}
		done = cr.n
		if mm.TooBig {
			m.Skip = fmt.Sprintf("over the limit of %d bytes", s.MaxSize)
		} else {
			m.Body = CRLF(mm.Body)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// mboxLetters are the flag letters of mbox.Message.Flags.
var mboxLetters = letters{{store.FlagSeen, 'R'}, {store.FlagAnswered, 'A'}, {store.FlagFlagged, 'F'},
	{store.FlagDraft, 'T'}, {store.FlagDeleted, 'D'}}
