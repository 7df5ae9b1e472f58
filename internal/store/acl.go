package store

import (
	"context"
	"strings"
)

// Anyone is the grantee of an ACLEntry that applies to every account of
// the mailbox owner's domain (RFC 4314 §2's "anyone", narrowed to the
// domain: docs/architecture.md §Shared mailboxes). It never applies to
// the owner, whose rights are implicit (all of them).
const Anyone AccountID = 0

// ACLEntry is one grant on a mailbox (RFC 4314 §2): Rights are the
// letters of RFC 4314 §2.1 ("lrswipkxtea"), each at most once, in that
// order. Negative rights are not stored (RFC 4314 §2 makes them
// optional).
type ACLEntry struct {
	Mailbox MailboxID
	Grantee AccountID // Anyone: the owner's domain
	Rights  string
}

// SharedMailbox is a mailbox of another account that a grantee may see:
// Mailbox.Account is its owner, and Rights the grantee's rights on it
// (its own entry's, or else the Anyone entry's).
type SharedMailbox struct {
	Mailbox Mailbox
	Owner   string // the owner's primary address
	Rights  string
}

// MaxSharedMailboxes bounds what SharedWith lists: another account could
// otherwise create and share mailboxes without end, and every LIST of the
// grantee would carry them all (README "Shared mailboxes").
const MaxSharedMailboxes = 1000

// ACL stores the access rights on mailboxes that their owners grant to
// other accounts (shared mailboxes). The rules (which rights a command
// needs, what "anyone" means) live in the consumers; the store keeps the
// entries, drops them with their mailbox or their grantee's account, and
// keeps them across RENAME (the mailbox ID does not change).
type ACL interface {
	// SetRights sets grantee's rights on mailbox, replacing its entry;
	// empty rights delete the entry. The rights are stored in the form of
	// CanonicalRights. KindNotFound when the mailbox or the grantee
	// account does not exist; KindInvalid when grantee is the mailbox's
	// owner or rights has a letter that is not a right.
	SetRights(ctx context.Context, mailbox MailboxID, grantee AccountID, rights string) error
	// MailboxRights lists a mailbox's entries, Anyone first, then by
	// grantee ID; KindNotFound when the mailbox does not exist.
	MailboxRights(ctx context.Context, mailbox MailboxID) ([]ACLEntry, error)
	// SharedWith lists the mailboxes of other accounts on which account
	// has an entry, or on which an Anyone entry exists and whose owner is
	// in domain (account's domain), ordered by owner address then mailbox
	// name, the first MaxSharedMailboxes of them. Mailbox carries the
	// counts like Mailboxes does.
	SharedWith(ctx context.Context, account AccountID, domain string) ([]SharedMailbox, error)
}

// AllRights are the rights of RFC 4314 §2.1 in their canonical order.
const AllRights = "lrswipkxtea"

// CanonicalRights returns rights with each letter once, in the order of
// AllRights; KindInvalid for a letter that is not a right of RFC 4314
// §2.1 (the obsolete "c" and "d" of §2.1.1 are the consumer's to map).
func CanonicalRights(rights string) (string, error) {
	var seen [len(AllRights)]bool
	for _, r := range rights {
		i := strings.IndexRune(AllRights, r)
		if i < 0 {
			return "", Errorf(KindInvalid, "rights", "%q is not a right (RFC 4314 §2.1: %s)", r, AllRights)
		}
		seen[i] = true
	}
	var b strings.Builder
	for i, ok := range seen {
		if ok {
			b.WriteByte(AllRights[i])
		}
	}
	return b.String(), nil
}
