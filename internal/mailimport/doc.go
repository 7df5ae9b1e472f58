// Package mailimport moves mail between an account of the store and
// Maildir (Dovecot's Maildir++ with dovecot-uidlist and dovecot-keywords),
// mbox files or a live IMAP server (README "Migrating to Petrel"):
// Import streams a source's
// folders into mailboxes through the store's batch paths, Export writes
// mailboxes out. Memory stays bounded by one batch (Options.BatchBytes)
// and the per-folder indexes (UIDs, duplicate keys, thread keys), whatever
// the size of the source.
//
// An import can be killed at any point and run again: it converges to the
// state of one uninterrupted run. Messages with the UIDs of the source
// (a dovecot-uidlist) are skipped when their UID is there already;
// others are compared by Message-ID, size and INTERNALDATE with what the
// mailbox holds (a multiset: a source that holds a message twice gets it
// twice), so no state file is needed.
//
// ImportIMAP reads an IMAP account (RFC 9051; RFC 6154 special use,
// RFC 7162 CONDSTORE, RFC 6855 UTF8=ACCEPT, RFC 8314 implicit TLS,
// RFC 5258 LIST-EXTENDED for the subscriptions) and keeps per folder what
// it copied in the store's KV, keyed by the account's address and the
// source (imapstate.go), so that a run again moves only what changed on
// the source (imapsync.go) and reports the folders deleted there
// (imapfolders.go).
package mailimport
