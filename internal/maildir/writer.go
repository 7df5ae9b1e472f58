package maildir

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Writer writes one folder of a Maildir++ tree with a dovecot-uidlist
// and dovecot-keywords, so that Dovecot serving the tree shows the UIDs,
// UIDVALIDITY and keywords written (README "Migrating to Petrel"). Files
// are written to tmp/ and renamed into cur/; a folder written again (an
// export run again) replaces each message's file.
type Writer struct {
	dir      string
	uidlist  *os.File
	buf      *bufio.Writer
	keywords Keywords
	existing map[string]string // base -> file name in cur/, from an earlier run
}

// NewWriter creates (or reopens) the folder of mailbox name below root
// ("INBOX" is root itself) with the folder's UIDVALIDITY and next UID.
func NewWriter(root, name string, uidValidity, nextUID uint32) (*Writer, error) {
	dir := root
	if !strings.EqualFold(name, "INBOX") {
		d, ok := DirName(name)
		if !ok {
			return nil, fmt.Errorf("maildir: mailbox name %q cannot be a Maildir++ folder (a part with \".\")", name)
		}
		dir = filepath.Join(root, d)
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	w := &Writer{dir: dir, existing: map[string]string{}}
	if f, err := os.Open(filepath.Join(dir, "dovecot-keywords")); err == nil {
		k, err := ParseKeywords(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		w.keywords = *k
	}
	ents, err := os.ReadDir(filepath.Join(dir, "cur"))
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		w.existing[ParseName(e.Name()).Base] = e.Name()
	}
	f, err := os.Create(filepath.Join(dir, "tmp", "dovecot-uidlist.petrel"))
	if err != nil {
		return nil, err
	}
	w.uidlist, w.buf = f, bufio.NewWriter(f)
	if err := WriteUIDListHeader(w.buf, uidValidity, nextUID); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Message is one message to write.
type Message struct {
	UID          uint32
	Flags        string // upper-case Maildir flag letters
	Keywords     []string
	InternalDate time.Time
	// VirtualSize is the size with CRLF line endings (Dovecot's ",W=");
	// the file's size (",S=") is counted as it is written.
	VirtualSize int64
}

// Put writes one message, body with LF line endings, named after its UID
// (a base that an export run again finds again). A keyword beyond the 26
// a folder can name is reported in dropped.
func (w *Writer) Put(m Message, body io.Reader) (dropped []string, err error) {
	var letters []byte
	for _, kw := range m.Keywords {
		if c, ok := w.keywords.Letter(kw); ok {
			letters = append(letters, c)
		} else {
			dropped = append(dropped, kw)
		}
	}
	tmp := filepath.Join(w.dir, "tmp", fmt.Sprintf("%d.petrel-export", m.UID))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	size, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(tmp, m.InternalDate, m.InternalDate)
	}
	base := fmt.Sprintf("%d.P%dQ1.petrel,S=%d,W=%d", m.InternalDate.Unix(), m.UID, size, m.VirtualSize)
	name := Name(base, m.Flags, string(letters))
	if err == nil {
		err = os.Rename(tmp, filepath.Join(w.dir, "cur", name))
	}
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if old, ok := w.existing[base]; ok && old != name {
		os.Remove(filepath.Join(w.dir, "cur", old)) // its flags changed since
	}
	return dropped, WriteUIDLine(w.buf, m.UID, base)
}

// Close writes dovecot-keywords and puts the new dovecot-uidlist in place
// of the old one.
func (w *Writer) Close() error {
	err := w.buf.Flush()
	if serr := w.uidlist.Sync(); err == nil {
		err = serr
	}
	if cerr := w.uidlist.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	var kb strings.Builder
	if err := w.keywords.Write(&kb); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(w.dir, "dovecot-keywords"), []byte(kb.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(w.uidlist.Name(), filepath.Join(w.dir, "dovecot-uidlist"))
}
