// Package spool has the file helpers behind Petrel's durability contract
// (DESIGN.md §2): a message is acknowledged only after its bytes are
// fsynced and, when a file was created or renamed, its directory too.
//
// WriteFileAtomic and CopySync do the fsyncs; SyncDir makes a directory
// entry durable; LimitReader enforces a size limit (SMTP SIZE, RFC 1870)
// without breaking the stream, so the rest of a message can be drained and
// a clean error sent.
package spool
