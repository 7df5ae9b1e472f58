package imapd

import (
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/store"
)

// mailboxName turns a mailbox name as the client sent it into the stored
// form: modified UTF-7 decoded for IMAP4rev1 clients (RFC 3501 §5.1.3),
// "INBOX" case-insensitive (RFC 9051 §5.1), a trailing separator dropped.
func (s *session) mailboxName(raw string) (string, bool) {
	name := raw
	if !s.utf8 {
		var ok bool
		if name, ok = decodeMUTF7(raw); !ok {
			return "", false
		}
	}
	if !utf8.ValidString(name) {
		return "", false
	}
	name = strings.TrimSuffix(name, store.HierarchySep)
	first, rest, found := strings.Cut(name, store.HierarchySep)
	if strings.EqualFold(first, store.InboxName) {
		name = store.InboxName
		if found {
			name += store.HierarchySep + rest
		}
	}
	return name, name != ""
}

// writeMailbox writes a stored name as the client expects it.
func (s *session) writeMailbox(name string) {
	if !s.utf8 {
		name = encodeMUTF7(name)
	}
	s.w.astring(name, s.utf8)
}

var badName = respNO("Invalid mailbox name")
