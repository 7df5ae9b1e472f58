package maildir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/petrelmail/petrel/internal/mutf7"
)

// Folder is one folder of a tree: its mailbox name (UTF-8, hierarchy
// separated by "/", "INBOX" for the root) and its directory.
type Folder struct {
	Name string
	Dir  string
}

// Folders lists the folders of a Maildir (the root alone, as INBOX) or a
// Maildir++ tree (the root as INBOX and every ".A.B" directory as A/B),
// INBOX first then by name. A directory is a folder when it has cur/.
func Folders(root string) ([]Folder, error) {
	var out []Folder
	if isMaildir(root) {
		out = append(out, Folder{Name: "INBOX", Dir: root})
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var sub []Folder
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || len(n) < 2 || n[0] != '.' || n == ".." {
			continue
		}
		dir := filepath.Join(root, n)
		if !isMaildir(dir) {
			continue
		}
		name, err := FolderName(n)
		if err != nil {
			return nil, fmt.Errorf("maildir folder %q: %w", n, err)
		}
		sub = append(sub, Folder{Name: name, Dir: dir})
	}
	sort.Slice(sub, func(i, j int) bool { return sub[i].Name < sub[j].Name })
	out = append(out, sub...)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is not a Maildir (no cur/ in it or in a .Folder below it)", root)
	}
	return out, nil
}

func isMaildir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "cur"))
	return err == nil && st.IsDir()
}

// FolderName turns a Maildir++ directory name (".A.B", modified UTF-7)
// into a mailbox name ("A/B"). ".INBOX.X" is INBOX/X.
func FolderName(dir string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(dir, "."), ".")
	for i, p := range parts {
		if p == "" {
			return "", errors.New("empty name part")
		}
		d, ok := mutf7.Decode(p)
		if !ok {
			return "", errors.New("not modified UTF-7")
		}
		parts[i] = d
	}
	return strings.Join(parts, "/"), nil
}

// DirName is FolderName's inverse for a mailbox name other than INBOX; ok
// is false for a name that Maildir++ cannot hold (a part with ".").
func DirName(name string) (string, bool) {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		if p == "" || strings.Contains(p, ".") {
			return "", false
		}
		parts[i] = mutf7.Encode(p)
	}
	return "." + strings.Join(parts, "."), true
}

// Entry is one message file of a folder, small: a folder may hold
// hundreds of thousands.
type Entry struct {
	// Name is the file's name in new/ (New) or cur/.
	Name string
	New  bool
	// ModTime (Unix nanoseconds) is the file's modification time: the
	// message's INTERNALDATE (Dovecot sets it so when it saves a message).
	ModTime int64
	Size    int64
}

// Path is the entry's file in the folder dir.
func (e *Entry) Path(dir string) string {
	sub := "cur"
	if e.New {
		sub = "new"
	}
	return filepath.Join(dir, sub, e.Name)
}

// Info parses the entry's name.
func (e *Entry) Info() Info { return ParseName(e.Name) }
