package store

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// Identifiers.
type (
	AccountID int64
	MailboxID int64
	BlobID    int64
	// UID is a message's unique identifier within its mailbox (RFC 9051 §2.3.1.1):
	// strictly ascending, never reused within one UIDVALIDITY.
	UID uint32
	// ModSeq is a per-mailbox modification sequence (RFC 7162 §3.1.1).
	ModSeq uint64
)

// HierarchySep is the mailbox hierarchy delimiter.
const HierarchySep = "/"

// InboxName is the name of the one mailbox every account always has.
const InboxName = "INBOX"

// Flags is the set of IMAP system flags (RFC 9051 §2.3.2). \Recent is not a
// stored flag: it is a per-session property computed by the IMAP server.
type Flags uint8

const (
	FlagSeen Flags = 1 << iota
	FlagAnswered
	FlagFlagged
	FlagDeleted
	FlagDraft
)

// NamedFlag is a system flag with its IMAP name.
type NamedFlag struct {
	Flag Flags
	Name string
}

// SystemFlags returns the system flags with their names (RFC 9051
// §2.3.2), in the order a FLAGS list gives them: the one table of the
// names, for IMAP's replies and parsers and the IMAP import.
func SystemFlags() [5]NamedFlag {
	return [5]NamedFlag{
		{FlagSeen, `\Seen`},
		{FlagAnswered, `\Answered`},
		{FlagFlagged, `\Flagged`},
		{FlagDeleted, `\Deleted`},
		{FlagDraft, `\Draft`},
	}
}

// SystemFlagNamed returns the system flag named name, in any case (RFC
// 9051 §2.3.2); false for \Recent (not stored) and unknown names.
func SystemFlagNamed(name string) (Flags, bool) {
	for _, sf := range SystemFlags() {
		if strings.EqualFold(sf.Name, name) {
			return sf.Flag, true
		}
	}
	return 0, false
}

// SpecialUse is a mailbox special-use attribute (RFC 6154).
type SpecialUse string

const (
	UseNone    SpecialUse = ""
	UseAll     SpecialUse = `\All`
	UseArchive SpecialUse = `\Archive`
	UseDrafts  SpecialUse = `\Drafts`
	UseFlagged SpecialUse = `\Flagged`
	UseJunk    SpecialUse = `\Junk`
	UseSent    SpecialUse = `\Sent`
	UseTrash   SpecialUse = `\Trash`
)

// DefaultMailboxes are created with every new account, in this order.
var DefaultMailboxes = []struct {
	Name string
	Use  SpecialUse
}{
	{InboxName, UseNone},
	{"Drafts", UseDrafts},
	{"Sent", UseSent},
	{"Trash", UseTrash},
	{"Junk", UseJunk},
	{"Archive", UseArchive},
}

// Account is a mail account: the owner of mailboxes and of a quota.
type Account struct {
	ID           AccountID
	Address      string // primary address, canonical form (mailaddr)
	PasswordHash string // PHC string (argon2id); never logged
	Created      time.Time
	Quota        Quota
}

// Quota is an account's limits and usage. A limit of 0 means unlimited.
type Quota struct {
	MaxBytes     int64
	MaxMessages  int64
	UsedBytes    int64
	UsedMessages int64
}

// MaxMailboxes bounds the mailboxes an account may create (RFC 9208 §5.3's
// MAILBOX resource, fixed): IMAP CREATE and Sieve's fileinto :create,
// whose name a sender can choose through variables, could otherwise
// grow an account's mailbox list without end (README "Limits").
const MaxMailboxes = 10000

// Mailbox is one folder of an account.
type Mailbox struct {
	ID            MailboxID
	Account       AccountID
	Name          string // full name, HierarchySep-separated, UTF-8
	UIDValidity   uint32
	UIDNext       UID
	HighestModSeq ModSeq
	SpecialUse    SpecialUse
	Subscribed    bool
	Messages      int64 // number of messages
	Unseen        int64 // messages without \Seen
	Size          int64 // sum of message sizes (STATUS SIZE)
}

// Message is a message's per-mailbox record (everything except its parsed
// metadata and body, which are loaded on demand).
type Message struct {
	Mailbox      MailboxID
	UID          UID
	ModSeq       ModSeq
	Flags        Flags
	Keywords     []string // sorted, case preserved as first stored
	InternalDate time.Time
	Size         int64
	Blob         BlobID
	// EmailID and ThreadID are the message's identity (RFC 8474 §5.1,
	// §5.2): the same in every copy, kept by MOVE and across restarts.
	EmailID  EmailID
	ThreadID ThreadID
	// SaveDate is when the message entered its mailbox (RFC 8514 §3): its
	// delivery, APPEND, COPY or MOVE; an import keeps the source's. For
	// messages stored before the store kept it, the internal date, the
	// best date known (README "IMAP").
	SaveDate time.Time
}

// SizedMessage is a Message with the WireSize of its metadata.
type SizedMessage struct {
	Message
	WireSize int64
}

// NewMessage is a message to be stored.
type NewMessage struct {
	// Body is the raw message (RFC 5322, CRLF line endings). Read once.
	Body io.Reader
	// Meta is the metadata of exactly Body, parsed by the caller before
	// the store (docs/flow.md: delivery parses a spooled body where it
	// lies); the backend stores it as given. nil makes the backend parse
	// Body itself (tests and tools).
	Meta *msgmeta.Meta
	// InternalDate defaults to now.
	InternalDate time.Time
	// Atomic makes the delivery all or nothing: when any target fails,
	// nothing is stored; the failed targets carry their own errors and the
	// others an error of KindTemporary. SMTP uses it so that its one reply
	// after DATA is true for every recipient.
	Atomic bool
}

// Target is one destination of a delivery.
type Target struct {
	Account AccountID
	// Mailbox, when non-zero, is the destination; otherwise MailboxName
	// (empty means INBOX) is looked up in the account.
	Mailbox     MailboxID
	MailboxName string
	Flags       Flags
	Keywords    []string
}

// Delivered is the outcome for one Target. Err is nil on success.
type Delivered struct {
	Mailbox     MailboxID
	UIDValidity uint32
	UID         UID
	ModSeq      ModSeq
	Err         error
}

// Directory stores domains, accounts, addresses and aliases. The rules
// (canonical forms, resolution, password hashing) live in package accounts;
// the directory stores what it is given, with the names already canonical.
type Directory interface {
	AddDomain(ctx context.Context, domain string) error
	DeleteDomain(ctx context.Context, domain string) error
	Domains(ctx context.Context) ([]string, error)
	HasDomain(ctx context.Context, domain string) (bool, error)

	// CreateAccount creates the account with its DefaultMailboxes. The
	// address's domain must exist; the address must not be in use by an
	// account, an extra address or an alias.
	CreateAccount(ctx context.Context, address, passwordHash string) (Account, error)
	DeleteAccount(ctx context.Context, id AccountID) error
	Account(ctx context.Context, id AccountID) (Account, error)
	Accounts(ctx context.Context) ([]Account, error)
	// FirstAccount is the account created first (the lowest ID), read
	// alone; KindNotFound when there is none.
	FirstAccount(ctx context.Context) (Account, error)
	SetPasswordHash(ctx context.Context, id AccountID, hash string) error
	SetQuota(ctx context.Context, id AccountID, maxBytes, maxMessages int64) error
	// QuotaLimits is an account's limits alone (0 = unlimited), without
	// its usage: what the SQLite store may answer from memory.
	QuotaLimits(ctx context.Context, id AccountID) (maxBytes, maxMessages int64, err error)

	// AddAddress gives an account an extra address.
	AddAddress(ctx context.Context, id AccountID, address string) error
	DeleteAddress(ctx context.Context, address string) error
	// Addresses lists an account's addresses, primary first.
	Addresses(ctx context.Context, id AccountID) ([]string, error)
	// LookupAddress finds the account owning a primary or extra address.
	LookupAddress(ctx context.Context, address string) (AccountID, error)
	// AccountAddress is an account's primary address: Account without
	// the quota's usage, which the SQLite store may answer from memory.
	AccountAddress(ctx context.Context, id AccountID) (string, error)

	// SetAlias creates or replaces the alias address -> targets. address
	// may be "@domain" (catch-all).
	SetAlias(ctx context.Context, address string, targets []string) error
	DeleteAlias(ctx context.Context, address string) error
	// Alias returns the targets of an alias (KindNotFound if none).
	Alias(ctx context.Context, address string) ([]string, error)
	Aliases(ctx context.Context) (map[string][]string, error)
}

// FlagOp says how StoreFlags combines the given flags with the current ones.
type FlagOp int

const (
	FlagsReplace FlagOp = iota // FLAGS
	FlagsAdd                   // +FLAGS
	FlagsRemove                // -FLAGS
)

// FlagChange is a STORE request (RFC 9051 §6.4.6, RFC 7162 §3.1.3).
type FlagChange struct {
	Op       FlagOp
	Flags    Flags
	Keywords []string
	// UnchangedSince, when non-zero, makes the change conditional: messages
	// whose MODSEQ is greater are not changed and are reported in Modified.
	UnchangedSince ModSeq
}

// FlagResult reports a StoreFlags call.
type FlagResult struct {
	Updated  []Message // messages whose flags changed (new MODSEQ)
	Modified []UID     // failed the UNCHANGEDSINCE test
}

// CopyResult maps source UIDs to the UIDs of the new messages (COPYUID,
// RFC 4315), in ascending order of source UID.
type CopyResult struct {
	UIDValidity uint32
	Src         []UID
	Dst         []UID
}

// FlagDrop is what Copy and Move leave out of the copies' flags, in the
// same transaction as the copy: the flags a client may not set in a
// shared mailbox (RFC 4314 §4: COPY's flags need "s", "t" and "w" like
// APPEND's). The zero value keeps every flag and keyword.
type FlagDrop struct {
	Flags    Flags // system flags cleared on the copies
	Keywords bool  // the copies have no keywords
}

// Apply returns f and kw without what d drops.
func (d FlagDrop) Apply(f Flags, kw []string) (Flags, []string) {
	if d.Keywords {
		kw = nil
	}
	return f &^ d.Flags, kw
}

// Mail is the message store of all accounts.
type Mail interface {
	// Mailboxes lists an account's mailboxes ordered by name.
	Mailboxes(ctx context.Context, account AccountID) ([]Mailbox, error)
	Mailbox(ctx context.Context, account AccountID, name string) (Mailbox, error)
	MailboxByID(ctx context.Context, account AccountID, id MailboxID) (Mailbox, error)
	// CreateMailbox creates a mailbox and its missing superiors;
	// KindOverQuota when the account has MaxMailboxes already.
	CreateMailbox(ctx context.Context, account AccountID, name string, use SpecialUse) (Mailbox, error)
	// RenameMailbox renames a mailbox and its inferiors; the renamed mailbox
	// keeps its UIDVALIDITY, and a mailbox later created with the old name
	// gets a new, greater one. Renaming INBOX moves its messages into a new
	// mailbox and leaves INBOX empty (RFC 9051 §6.3.6).
	RenameMailbox(ctx context.Context, account AccountID, from, to string) error
	// DeleteMailbox deletes one mailbox and its messages (not its inferiors).
	DeleteMailbox(ctx context.Context, account AccountID, name string) error
	// DeleteMailboxIf deletes the mailbox as DeleteMailbox does, only if
	// its UIDNEXT is still uidNext, in the same transaction: a message
	// stored in it since the caller looked (delivery, APPEND, COPY, MOVE)
	// makes it KindModified and the mailbox stays, so a caller that
	// checked the contents never deletes one it did not see.
	DeleteMailboxIf(ctx context.Context, account AccountID, name string, uidNext UID) error
	SetSubscribed(ctx context.Context, account AccountID, name string, on bool) error
	// Subscriptions lists subscribed names, which may include names of
	// mailboxes that do not exist (RFC 9051 §6.3.7).
	Subscriptions(ctx context.Context, account AccountID) ([]string, error)

	// Deliver stores one message in every target, sharing one blob and one
	// new EmailID (each account threads it on its own, ThreadKeys), and
	// returns when it is durable (docs/architecture.md §Durability). It
	// fails as a whole only
	// when the body could not be stored; per-target failures (not found,
	// over quota) are in the results.
	Deliver(ctx context.Context, msg NewMessage, targets []Target) ([]Delivered, error)
	// AppendBatch stores msgs in one mailbox of account, all or nothing,
	// in one transaction (IMAP MULTIAPPEND, RFC 3502 §3): the quota is
	// checked for their sum (KindOverQuota, nothing stored), a body that
	// cannot be read fails the batch before anything is stored, a missing
	// mailbox is KindNotFound. The UIDs are consecutive, in the order of
	// msgs, and share one MODSEQ; each message gets a new EmailID and is
	// threaded in the order of msgs; subscribers get one ChangeAdded. It
	// returns when the messages are durable, like Deliver. An empty batch
	// is KindInvalid.
	AppendBatch(ctx context.Context, account AccountID, mailbox MailboxID, msgs []AppendMessage) (Appended, error)

	// Messages lists the messages of a mailbox with UID in [from, to]
	// (to == 0 means no upper bound), ascending by UID.
	Messages(ctx context.Context, mailbox MailboxID, from, to UID) ([]Message, error)
	// ChangedSince lists messages whose MODSEQ is greater than since.
	ChangedSince(ctx context.Context, mailbox MailboxID, since ModSeq) ([]Message, error)
	// ExpungedSince lists UIDs expunged with a MODSEQ greater than since
	// (QRESYNC VANISHED, RFC 7162 §3.2.5), ascending.
	ExpungedSince(ctx context.Context, mailbox MailboxID, since ModSeq) ([]UID, error)
	// WireSizes is Messages with, for each message, the WireSize of its
	// metadata (msgmeta.Meta.WireSize: the size as POP3 RETR sends it),
	// read in bulk: POP3 lists a whole INBOX at login. It is 0 only for
	// an empty message.
	WireSizes(ctx context.Context, mailbox MailboxID, from, to UID) ([]SizedMessage, error)
	// Meta returns the metadata parsed at delivery.
	Meta(ctx context.Context, mailbox MailboxID, uid UID) (*msgmeta.Meta, error)
	// OpenBlob opens a message body for reading.
	OpenBlob(ctx context.Context, blob BlobID) (Blob, error)

	StoreFlags(ctx context.Context, mailbox MailboxID, uids []UID, change FlagChange) (FlagResult, error)
	// Copy copies messages (sharing their blobs) into dst, charging dst's
	// account (KindOverQuota: nothing copied). The copies keep their
	// EmailID and ThreadID (RFC 8474 §5.1); dst may belong to another
	// account (a mailbox shared with src's owner, ACL), whose thread the
	// copies join as if delivered there (ThreadKeys), and whose change
	// state and feed alone see the copy. drop clears flags on the copies.
	Copy(ctx context.Context, src MailboxID, uids []UID, dst MailboxID, drop FlagDrop) (CopyResult, error)
	// Move moves messages atomically: copy then expunge from src (RFC 6851),
	// keeping their EmailID and ThreadID. Within an account it needs no
	// quota; into another account's mailbox it is charged like Copy and
	// changes both accounts (state and feed). drop clears flags on the
	// moved messages as Copy's does.
	Move(ctx context.Context, src MailboxID, uids []UID, dst MailboxID, drop FlagDrop) (CopyResult, error)
	// Expunge removes messages and records them in the expunge log;
	// it returns the UIDs actually removed.
	Expunge(ctx context.Context, mailbox MailboxID, uids []UID) ([]UID, error)

	// Quota returns an account's quota and usage.
	Quota(ctx context.Context, account AccountID) (Quota, error)
	// AccountState returns the account's change state: raised by one by
	// every call that changes its mail or mailboxes (the events of that
	// call carry the new value in Change.State), never by a call that
	// changes nothing; KindNotFound when the account does not exist.
	AccountState(ctx context.Context, account AccountID) (State, error)
}

// Blob is an open message body.
type Blob interface {
	io.ReaderAt
	io.Reader
	io.Closer
	Size() int64
}

// Store is a storage backend: the directory, the mail with its bulk
// reads, the outbound queue, the session state shared by the nodes of one
// store, the key/value storage, the change feed, and the reads and writes
// of a copy into another store (Exporter, Importer), the access rights
// on shared mailboxes (ACL). storetest checks all
// of it for every backend.
type Store interface {
	Directory
	Mail
	BulkReader
	Queue
	Sessions
	KV
	Exporter
	Importer
	TextIndex
	ACL
	// Subscribe returns a subscription to the changes of one account.
	Subscribe(account AccountID) *Subscription
	// Close waits for writes in flight and closes the store.
	Close() error
}
