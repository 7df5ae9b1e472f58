package store

import (
	"context"
	"io"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// Expunged is one entry of a mailbox's expunge log: the UID and the MODSEQ
// of its expunge (RFC 7162 §3.2.5.1).
type Expunged struct {
	UID    UID
	ModSeq ModSeq
}

// ThreadKey is one message ID an account has seen and the thread it names
// (ThreadKeys).
type ThreadKey struct {
	Key    string
	Thread ThreadID
}

// Counters are the high-water marks of a store's identities: every
// EmailID (and so every ThreadID, numbered like one) and every UIDVALIDITY
// it ever handed out is at most these. A copy raises the destination's
// counters to the source's, so that the destination never hands out again
// an identity that a client saw in the source, even of a message or a
// mailbox deleted before the copy.
type Counters struct {
	EmailID     EmailID
	UIDValidity uint32
}

// Exporter reads what a copy of a store (docs/architecture.md §Store copy)
// needs beyond Store: pages of messages, the expunge logs, the thread keys
// and the identity counters. The pages keep a copy of a 100,000-message
// mailbox bounded in memory.
type Exporter interface {
	// ListMessages lists up to limit messages of mailbox with a UID
	// greater than after, ascending by UID.
	ListMessages(ctx context.Context, mailbox MailboxID, after UID, limit int) ([]Message, error)
	// ExpungeLog lists up to limit entries of the expunge log of mailbox
	// with a UID greater than after, ascending by UID.
	ExpungeLog(ctx context.Context, mailbox MailboxID, after UID, limit int) ([]Expunged, error)
	// ListThreadKeys lists up to limit thread keys of account that sort
	// after after (byte order), ascending.
	ListThreadKeys(ctx context.Context, account AccountID, after string, limit int) ([]ThreadKey, error)
	// Counters returns the store's identity counters.
	Counters(ctx context.Context) (Counters, error)
}

// ImportMessage is one message of ImportMessages: a message of another
// store with its identity.
type ImportMessage struct {
	UID          UID
	ModSeq       ModSeq
	Flags        Flags
	Keywords     []string
	InternalDate time.Time // its zone offset is kept
	EmailID      EmailID
	// ThreadID is kept; 0 threads the message as a delivery would
	// (ThreadKeys: the thread of its first key the account knows, else
	// its own), in the write that stores it (`petrel import`, which
	// holds no thread keys of its own).
	ThreadID ThreadID
	// SaveDate is kept (RFC 8514 §3: the message entered the source's
	// mailbox then); zero is the time of the import.
	SaveDate time.Time
	// Body is the raw message, read once; Meta is its metadata (with
	// its headers, for the thread keys), stored as given; nil makes the
	// backend parse Body.
	Body io.Reader
	Meta *msgmeta.Meta
}

// Imported reports an ImportMessages call: how many messages were stored
// and how many were there already (same UID, same EmailID).
type Imported struct {
	Added, Present int
}

// Importer writes the records of another store with their identities
// (docs/architecture.md §Store copy): what Directory and Mail cannot
// write as they are, because they allocate IDs, UIDs and MODSEQs. Every
// method is idempotent, so that a copy interrupted at any point and run
// again converges: a record that is there already is left as it is (or
// raised, for counters), one that is there with another identity is
// KindExists. Imports publish no changes and raise no account state
// (ImportAccount sets it): a store being filled has no sessions. A
// server running on the store meanwhile (`petrel import`) learns of
// ImportMessages' messages from its change feed: SQLite's finds the
// commit, PostgreSQL's tells the account's subscribers to resynchronise.
type Importer interface {
	// ImportAccount creates the account a.Address with a's password
	// hash, creation time and quota limits (its usage counts what is
	// imported), without mailboxes, or updates those of the account that
	// has that primary address; its change state is raised to at least
	// state. The domain must exist; an address in use by another account
	// or an alias is KindExists. a.ID is ignored; the ID in this store is
	// returned.
	ImportAccount(ctx context.Context, a Account, state State) (AccountID, error)
	// ImportAddress gives account the extra address; one it has already
	// is no error.
	ImportAddress(ctx context.Context, account AccountID, address string) error
	// ImportMailbox creates mailbox mb.Name of account with mb's
	// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and special use (mb.ID,
	// counts and Subscribed are ignored: see ImportSubscriptions). An
	// existing mailbox of that name with the same UIDVALIDITY gets its
	// UIDNEXT and HIGHESTMODSEQ raised to mb's; one that never held a
	// message (UIDNEXT 1) takes mb's identity; any other is KindExists.
	ImportMailbox(ctx context.Context, account AccountID, mb Mailbox) (Mailbox, error)
	// ImportSubscriptions subscribes account to names, which need not
	// exist (RFC 9051 §6.3.7).
	ImportSubscriptions(ctx context.Context, account AccountID, names []string) error
	// ImportMessages stores msgs in mailbox of account, all or nothing,
	// each with its UID, MODSEQ, flags, keywords, internal date, EmailID
	// and ThreadID, without a quota check (the source had them). A UID
	// that holds the message with the same EmailID already is skipped
	// (Imported.Present); one that holds another is KindExists. A
	// ThreadID of 0 is given as at delivery. The
	// mailbox's UIDNEXT and HIGHESTMODSEQ are raised above the imported
	// ones, so that a later delivery gets a greater UID and MODSEQ. An
	// EmailID already in the store (a copy of the message in another
	// mailbox) shares its body. Each message's thread keys
	// (ThreadKeys) that the account does not know yet name its thread.
	ImportMessages(ctx context.Context, account AccountID, mailbox MailboxID, msgs []ImportMessage) (Imported, error)
	// ImportExpunged adds entries to the expunge log of mailbox (QRESYNC
	// VANISHED after the move); UIDs logged already are left.
	ImportExpunged(ctx context.Context, mailbox MailboxID, log []Expunged) error
	// ImportThreadKeys adds thread keys to account; keys it knows
	// already are left.
	ImportThreadKeys(ctx context.Context, account AccountID, keys []ThreadKey) error
	// ImportQueued queues m with its ID, arrival, recipients and their
	// states, attempts and next attempts, unclaimed; body is read once.
	// It reports false, reading nothing, when the ID is queued already.
	ImportQueued(ctx context.Context, m QueuedMessage, body io.Reader) (bool, error)
	// ImportKV stores a key/value entry with its modification time,
	// replacing the value.
	ImportKV(ctx context.Context, info KeyInfo, value []byte) error
	// ImportCounters raises the store's identity counters to at least c.
	ImportCounters(ctx context.Context, c Counters) error
	// ReserveEmailIDs hands out n EmailIDs (and so ThreadIDs) that no
	// other writer gets, ascending, not necessarily consecutive, for
	// messages that ImportMessages stores later: safe while another
	// process delivers to the store (README "Migrating to Petrel").
	ReserveEmailIDs(ctx context.Context, n int) ([]EmailID, error)
}

// ImportedMailboxName checks a mailbox to import (ImportMailbox) and
// returns its normalised name.
func ImportedMailboxName(mb Mailbox) (string, error) {
	name, err := NormalizeName(mb.Name)
	if err != nil {
		return "", err
	}
	if !ValidSpecialUse(mb.SpecialUse) || mb.UIDValidity == 0 || mb.UIDNext == 0 {
		return "", Errorf(KindInvalid, "import mailbox", "invalid mailbox %q", mb.Name)
	}
	return name, nil
}

// NormalizeNames is NormalizeName of every name (ImportSubscriptions).
func NormalizeNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n, err := NormalizeName(n)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// CheckImportMessages checks that every message to import
// (ImportMessages) has its identity.
func CheckImportMessages(msgs []ImportMessage) error {
	for _, m := range msgs {
		if m.UID == 0 || m.ModSeq == 0 || m.EmailID <= 0 || m.ThreadID < 0 {
			return Errorf(KindInvalid, "import messages", "message without UID, MODSEQ or email ID, or with a bad thread ID")
		}
	}
	return nil
}
