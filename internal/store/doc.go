// Package store is Petrel's storage API: the interfaces every backend
// implements (Directory, Mail, Store, and the state shared by every node on
// a store: Locks and Recent (Sessions), the key/value storage KV), the
// identifier, flag and quota types, the error kinds that protocols map to
// replies, the change feed that IMAP IDLE and POP3 subscribe to, and Lease,
// a lock renewed in the background (docs/architecture.md §Shared state).
//
// The model follows IMAP4rev2 (RFC 9051) with CONDSTORE/QRESYNC (RFC 7162):
// per-mailbox UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, per-message UID and
// MODSEQ, an expunge log with MODSEQ for VANISHED, special-use attributes
// (RFC 6154) and quota accounting (RFC 9208 STORAGE and MESSAGE resources);
// messages have an email ID and a thread ID (RFC 8474 §5.1, §5.2) and
// accounts a change state (ident.go). IMAP4rev1's \Recent (RFC 3501
// §2.3.2) is a per-mailbox boundary UID (Recent). TextIndex is the
// full-text index of SEARCH's text keys (RFC 9051 §6.4.4; textindex.go,
// docs/architecture.md §Full-text index).
//
// Package storetest holds the conformance suite every backend must pass.
package store
