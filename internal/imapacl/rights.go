package imapacl

import (
	"errors"
	"strings"
)

// Rights is a set of the rights of RFC 4314 §2.1.
type Rights uint16

// The rights of RFC 4314 §2.1, in the order of their letters there.
const (
	Lookup        Rights = 1 << iota // l: LIST, LSUB, SUBSCRIBE
	Read                             // r: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from
	Seen                             // s: keep \Seen
	Write                            // w: flags other than \Seen and \Deleted
	Insert                           // i: APPEND, COPY into
	Post                             // p: submission to the mailbox (not enforced by IMAP)
	CreateMailbox                    // k: CREATE below, RENAME into
	DeleteMailbox                    // x: DELETE, RENAME away
	DeleteMessage                    // t: set or clear \Deleted
	Expunge                          // e: EXPUNGE
	Admin                            // a: SETACL, DELETEACL, GETACL, LISTRIGHTS
)

// letters are the rights' letters, bit i of Rights being letters[i].
const letters = "lrswipkxtea"

// All is every right: the owner's (RFC 4314 §2: the owner's rights are
// implicit here and cannot be changed).
const All Rights = 1<<len(letters) - 1

// The obsolete virtual rights of RFC 4314 §2.1.1, tied as its first group
// of servers does (the example of §2.1.1: "d" is "e" and "t"): "c" is "k"
// and "x", "d" is "e" and "t".
const (
	obsoleteCreate = CreateMailbox | DeleteMailbox
	obsoleteDelete = Expunge | DeleteMessage
)

// Capability is the RIGHTS= capability (RFC 4314 §2.1.1): the rights
// that are not tied to each other, here "t", "e", "x" and "k".
const Capability = "RIGHTS=texk"

// ErrUnknownRight: a letter is not a right; RFC 4314 §3.1 makes the
// command BAD ("the server MUST NOT silently ignore unrecognized
// rights").
var ErrUnknownRight = errors.New("imapacl: unknown right")

// Parse reads a rights string (RFC 4314 §2.1, §2.1.1): each letter at
// most once is not required, "c" and "d" stand for their groups. The
// empty string is no rights.
func Parse(s string) (Rights, error) {
	var r Rights
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 'c':
			r |= obsoleteCreate
		case 'd':
			r |= obsoleteDelete
		default:
			j := strings.IndexByte(letters, c)
			if j < 0 {
				return 0, ErrUnknownRight
			}
			r |= 1 << j
		}
	}
	return r, nil
}

// String is the canonical form: the letters of RFC 4314 §2.1 in its
// order, without "c" and "d". The store keeps this form.
func (r Rights) String() string {
	var b strings.Builder
	for i := 0; i < len(letters); i++ {
		if r&(1<<i) != 0 {
			b.WriteByte(letters[i])
		}
	}
	return b.String()
}

// Wire is the form of a MYRIGHTS or ACL response: the canonical letters,
// then "c" when any of "k" and "x" is in r and "d" when any of "e" and
// "t" is (RFC 4314 §2.1.1: the server MUST include them).
func (r Rights) Wire() string {
	s := r.String()
	if r&obsoleteCreate != 0 {
		s += "c"
	}
	if r&obsoleteDelete != 0 {
		s += "d"
	}
	return s
}

// Has reports whether r holds every right of need.
func (r Rights) Has(need Rights) bool { return r&need == need }

// Modification is the rights argument of SETACL (RFC 4314 §3.1): a
// leading "+" adds the rights to the identifier's, "-" removes them,
// neither replaces them.
type Modification struct {
	Op     byte // '+', '-' or 0 (replace)
	Rights Rights
}

// ParseModification reads SETACL's rights argument.
func ParseModification(s string) (Modification, error) {
	var m Modification
	if s != "" && (s[0] == '+' || s[0] == '-') {
		m.Op, s = s[0], s[1:]
	}
	var err error
	m.Rights, err = Parse(s)
	return m, err
}

// Apply returns the rights that old becomes.
func (m Modification) Apply(old Rights) Rights {
	switch m.Op {
	case '+':
		return old | m.Rights
	case '-':
		return old &^ m.Rights
	}
	return m.Rights
}

// ListRights are the groups of a LISTRIGHTS response (RFC 4314 §3.7)
// for an identifier other than the owner: nothing is always granted, and
// every right may be granted on its own; "c" and "d" are listed too
// (§2.1.1). The owner's are All, required.
func ListRights() []string {
	out := make([]string, 0, len(letters)+2)
	for i := 0; i < len(letters); i++ {
		out = append(out, letters[i:i+1])
	}
	return append(out, "c", "d")
}
