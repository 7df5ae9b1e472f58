// Package sqlite is Petrel's embedded storage backend: metadata in SQLite
// (modernc.org/sqlite, WAL, synchronous=FULL) and message bodies either
// inline in the same database (small bodies) or as one file per message
// (large bodies), under the data directory.
//
// Durability (docs/architecture.md §Durability): every write goes through one
// writer goroutine that collects concurrent requests into one transaction
// (group commit). Large bodies are written and fsynced by the caller before
// the request is queued; the writer fsyncs the directories where such files
// were created, then commits (one WAL fsync for the whole batch), and only
// then answers every waiting caller. So "stored" always means on disk.
//
// A full disk (space.go, README "Storage") is KindNoSpace: SQLITE_FULL,
// ENOSPC and EDQUOT alike. A deletion reserve, a file of Options.Reserve
// octets in the data directory, is released when a deletion or flag
// change (never new mail) fails for want of space, so that users can
// still free space; new mail waits until the reserve is filled again.
//
// State shared by the processes on one database (docs/architecture.md
// §Shared state): leased locks and \Recent boundaries (locks.go, written
// without the WAL fsync when nothing durable shares the commit), the
// key/value storage (kv.go), and the watcher that feeds other processes'
// commits into the change feed (watch.go).
//
// The model follows RFC 9051 (UID, UIDVALIDITY, UIDNEXT), RFC 7162
// (per-mailbox MODSEQ, expunge log for VANISHED), RFC 3501 §2.3.2
// (\Recent) and RFC 8474 (email and thread IDs, ident.go), with a
// per-account change state beside MODSEQ.
package sqlite
