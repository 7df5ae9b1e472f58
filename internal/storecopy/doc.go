// Package storecopy copies one store into another, of any backend, with
// the identities IMAP clients and the queue rely on kept: UIDVALIDITY,
// UIDs, MODSEQs, flags, keywords, internal dates, EmailIDs and ThreadIDs
// (RFC 9051 §2.3.1.1, RFC 7162 §3.1, RFC 8474 §5), so that after moving a
// server from SQLite to PostgreSQL no client downloads its mail again
// (README "Moving to PostgreSQL", docs/architecture.md §Store copy).
//
// Copy streams mailbox by mailbox and message by message in bounded
// batches (a 100,000-message mailbox is never held in memory), is
// idempotent (an interrupted copy run again resumes where it stopped:
// messages the destination holds are skipped), and ends with a
// verification: counts and a checksum of every mailbox on both sides.
// It reads through store.Exporter and writes through store.Importer.
package storecopy
