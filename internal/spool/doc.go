// Package spool has the file helpers behind Petrel's durability contract
// (docs/architecture.md §Durability): a message is acknowledged only after its
// bytes are fsynced and, when a file was created or renamed, its directory
// too.
//
// WriteFileAtomic and CopySync do the fsyncs; SyncDir makes a directory
// entry durable; LimitReader enforces a size limit (SMTP SIZE, RFC 1870)
// without breaking the stream, so the rest of a message can be drained and
// a clean error sent.
//
// For a full disk (README "Storage"): IsNoSpace recognises ENOSPC and
// EDQUOT; Space reads the free space of the data directory's filesystem
// (statfs, cached) against the min_free_space floor, so that servers refuse
// mail early (RFC 1870 §6.1: 452 at MAIL); Reserve is the file that keeps
// room for deletions.
package spool
