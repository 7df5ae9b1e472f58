// Package backup takes online backups of a Petrel server and restores them
// (README "Backup and restore", docs/architecture.md §Backup).
//
// A backup directory holds snapshots and one pool of body files shared by
// them:
//
//	DEST/LATEST              the name of the last complete snapshot
//	DEST/blobs/xx/NAME       the body files, each copied once
//	DEST/bodysums            the SHA-256 of every message's body, by
//	                         mailbox, UID and blob (sumcache.go)
//	DEST/snap-TIME/          a snapshot:
//	    petrel.db            the database (SQLite mode), as of one commit
//	    blobs -> ../blobs    so that the snapshot opens as a data directory
//	    files/NAME           configuration, certificates, legacy DKIM keys
//	    manifest.json        what the snapshot holds, with checksums
//
// A backup snapshots the database, copies the body files it names that
// the pool lacks (the incremental part: body files are never rewritten,
// so a name present is a file complete), copies the other files,
// computes the manifest from the snapshot itself (every mailbox's count
// and checksum, storecopy.MailboxChecksum, reading only the bodies that
// bodysums does not know from the last backup of the same store), and
// then writes LATEST: the
// commit point. Only then are older snapshots and the body files no
// snapshot names removed. An interrupted backup leaves LATEST as it was;
// run again, it copies what is missing and ends as one uninterrupted run
// would. Everything streams: the body files are listed from the database
// in order, never held; the memory of a backup does not grow with the
// store.
//
// With PostgreSQL the database is pg_dump's: a backup copies the files
// outside the database and writes a manifest computed from the live
// store, which Verify compares with a restored one.
package backup
