package mailimport

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Folder is one folder of a source.
type Folder struct {
	// Name is the mailbox name, UTF-8, hierarchy separated by "/".
	Name string
	// UIDValidity and NextUID are the source's (dovecot-uidlist); 0 when
	// the source has no UIDs.
	UIDValidity, NextUID uint32
	// Units is the folder's share of the source's progress units
	// (messages for a Maildir, bytes for an mbox).
	Units int64
	// Use is the special use the source gives the folder (RFC 6154);
	// when empty, a new mailbox takes the one its name suggests.
	Use store.SpecialUse
}

// Message is one message of a source folder.
type Message struct {
	// UID is the source's UID, 0 when it has none (then Folder.UIDValidity
	// is 0 too, or the message came after the source's uidlist).
	UID      uint32
	Flags    store.Flags
	Keywords []string
	// Date is the INTERNALDATE; when zero, the Date field's, else
	// Fallback.
	Date, Fallback time.Time
	// Body has CRLF line endings (CRLF does it).
	Body []byte
	// Where names the message in errors and logs (a file, an mbox line).
	Where string
	// Skip, when set, says why the message cannot be imported (too
	// big); Body is nil.
	Skip string
	// Units is how far the message moves the progress.
	Units int64
}

// Source is what Import reads: a Maildir tree or mbox files.
type Source interface {
	// Folders lists the folders (Units set), the parents before their
	// children.
	Folders() ([]Folder, error)
	// Messages calls fn for each message of folder f, in the source's
	// order. The Message is valid until fn returns.
	Messages(ctx context.Context, f Folder, fn func(*Message) error) error
}

// CRLF returns b with every line ending CRLF (RFC 5322 §2.1): a bare LF
// gets a CR; b itself when it has no bare LF.
func CRLF(b []byte) []byte {
	bare := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			bare++
		}
	}
	if bare == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+bare)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// LF returns b with CRLF line endings turned into LF (the files of a
// Maildir, read by Dovecot).
func LF(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// specialUses are the special uses of the folder names mail servers and
// clients give them (RFC 6154), for folders imported into new mailboxes.
var specialUses = map[string]store.SpecialUse{
	"drafts": store.UseDrafts, "sent": store.UseSent, "sent messages": store.UseSent, "sent items": store.UseSent,
	"sent mail": store.UseSent, "trash": store.UseTrash, "deleted messages": store.UseTrash, "deleted items": store.UseTrash,
	"junk": store.UseJunk, "spam": store.UseJunk, "junk e-mail": store.UseJunk, "archive": store.UseArchive,
	"archives": store.UseArchive,
}

// guessUse is the special use of a new mailbox of that name.
func guessUse(name string) store.SpecialUse {
	return specialUses[string(bytes.ToLower([]byte(name)))]
}

// letters map IMAP flags to the letters of a file format.
type letters []struct {
	flag   store.Flags
	letter byte
}

// flags returns the flags of the letters of s; others are ignored.
func (l letters) flags(s string) store.Flags {
	var f store.Flags
	for _, x := range l {
		if strings.IndexByte(s, x.letter) >= 0 {
			f |= x.flag
		}
	}
	return f
}

// of returns the letters of f.
func (l letters) of(f store.Flags) string {
	var b []byte
	for _, x := range l {
		if f&x.flag != 0 {
			b = append(b, x.letter)
		}
	}
	return string(b)
}
