package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// IDs are AUTOINCREMENT so that they are never reused: a session holding the
// ID of a deleted mailbox or blob must never reach a new one.
//
// migrations are applied in order at start-up; migrations[i] moves the
// schema from version i to i+1. Never edit a released migration: append.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE domains (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE accounts (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	address        TEXT NOT NULL UNIQUE,
	password_hash  TEXT NOT NULL,
	created        INTEGER NOT NULL,
	quota_bytes    INTEGER NOT NULL DEFAULT 0,
	quota_messages INTEGER NOT NULL DEFAULT 0,
	used_bytes     INTEGER NOT NULL DEFAULT 0,
	used_messages  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE addresses (
	address TEXT PRIMARY KEY,
	domain  TEXT NOT NULL REFERENCES domains(name),
	account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	primary_address INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX addresses_account ON addresses(account);
CREATE INDEX addresses_domain ON addresses(domain);
CREATE TABLE aliases (
	address TEXT PRIMARY KEY,
	domain  TEXT NOT NULL REFERENCES domains(name),
	targets TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX aliases_domain ON aliases(domain);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE mailboxes (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account       INTEGER NOT NULL REFERENCES accounts(id),
	name          TEXT NOT NULL,
	uidvalidity   INTEGER NOT NULL,
	uidnext       INTEGER NOT NULL DEFAULT 1,
	highestmodseq INTEGER NOT NULL DEFAULT 1,
	special_use   TEXT NOT NULL DEFAULT '',
	messages      INTEGER NOT NULL DEFAULT 0,
	unseen        INTEGER NOT NULL DEFAULT 0,
	size          INTEGER NOT NULL DEFAULT 0,
	UNIQUE (account, name)
);
CREATE TABLE subscriptions (
	account INTEGER NOT NULL,
	name    TEXT NOT NULL,
	PRIMARY KEY (account, name)
) WITHOUT ROWID;
CREATE TABLE blobs (
	id   INTEGER PRIMARY KEY AUTOINCREMENT,
	size INTEGER NOT NULL,
	refs INTEGER NOT NULL,
	data BLOB,
	path TEXT,
	meta BLOB NOT NULL
);
CREATE INDEX blobs_path ON blobs(path) WHERE path IS NOT NULL;
CREATE TABLE messages (
	mailbox  INTEGER NOT NULL,
	uid      INTEGER NOT NULL,
	modseq   INTEGER NOT NULL,
	flags    INTEGER NOT NULL,
	keywords TEXT NOT NULL DEFAULT '',
	idate    INTEGER NOT NULL,
	izone    INTEGER NOT NULL,
	size     INTEGER NOT NULL,
	blob     INTEGER NOT NULL,
	PRIMARY KEY (mailbox, uid)
) WITHOUT ROWID;
CREATE INDEX messages_modseq ON messages(mailbox, modseq);
CREATE TABLE expunged (
	mailbox INTEGER NOT NULL,
	uid     INTEGER NOT NULL,
	modseq  INTEGER NOT NULL,
	PRIMARY KEY (mailbox, uid)
) WITHOUT ROWID;
CREATE INDEX expunged_modseq ON expunged(mailbox, modseq);
`,
	// 2: the outbound queue (queue.go). Times are Unix milliseconds.
	// Deferred recipients have their own due-time index, apart from new
	// (pending) mail, so that a backlog does not slow new mail down.
	`
CREATE TABLE queue (
	id        TEXT PRIMARY KEY,
	seq       INTEGER NOT NULL UNIQUE,
	origin    TEXT NOT NULL DEFAULT '',
	sender    TEXT NOT NULL,
	envid     TEXT NOT NULL DEFAULT '',
	ret       TEXT NOT NULL DEFAULT '',
	smtputf8  INTEGER NOT NULL DEFAULT 0,
	body_type TEXT NOT NULL DEFAULT '',
	arrived   INTEGER NOT NULL,
	size      INTEGER NOT NULL,
	blob      INTEGER NOT NULL,
	warned    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE queue_rcpts (
	seq          INTEGER NOT NULL,
	idx          INTEGER NOT NULL,
	addr         TEXT NOT NULL,
	domain       TEXT NOT NULL,
	orcpt        TEXT NOT NULL DEFAULT '',
	notify       TEXT NOT NULL DEFAULT '',
	state        INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0,
	last_attempt INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT '',
	remote_mta   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX queue_pending ON queue_rcpts(seq) WHERE state = 0;
CREATE INDEX queue_deferred ON queue_rcpts(next_attempt, seq) WHERE state = 1;
`,
	// 3: blobs with meta before data. SQLite reads a row's columns in
	// order and an inline body spills into a chain of overflow pages, so
	// with data first every metadata read (FETCH ENVELOPE/BODYSTRUCTURE)
	// walked the whole body: the metadata of 200 messages of 64 KiB took
	// 1.6-2.3 ms, 0.8-1.1 ms with meta first (BenchmarkReadMeta). The
	// table is rebuilt (the ids, and the AUTOINCREMENT mark, kept).
	`
CREATE TABLE blobs_v3 (
	id   INTEGER PRIMARY KEY AUTOINCREMENT,
	size INTEGER NOT NULL,
	refs INTEGER NOT NULL,
	path TEXT,
	meta BLOB NOT NULL,
	data BLOB
);
INSERT INTO blobs_v3(id, size, refs, path, meta, data) SELECT id, size, refs, path, meta, data FROM blobs ORDER BY id;
INSERT INTO sqlite_sequence(name, seq) SELECT 'blobs_v3', 0
	WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'blobs_v3');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'blobs'), 0))
	WHERE name = 'blobs_v3';
DROP TABLE blobs;
ALTER TABLE blobs_v3 RENAME TO blobs;
CREATE INDEX blobs_path ON blobs(path) WHERE path IS NOT NULL;
`,
	// 4: the metadata of the blobs in a table of its own, keyed by the
	// blob id. In the blobs rows it sat among the inline bodies, so the
	// metadata of 200 messages (FETCH ENVELOPE BODYSTRUCTURE, header
	// SEARCH) was spread over hundreds of pages: reading it from disk
	// cost 8-13 ms on the 100,000-message benchmark mailbox. Packed
	// together, metadata reads never touch the bodies.
	`
CREATE TABLE blob_meta (
	id   INTEGER PRIMARY KEY,
	meta BLOB NOT NULL
);
INSERT INTO blob_meta(id, meta) SELECT id, meta FROM blobs ORDER BY id;
ALTER TABLE blobs DROP COLUMN meta;
`,
	// 5: queue claims (queue_claims.go): the runner that sends a message
	// holds it with a lease until claim_until (Unix milliseconds), so
	// that the runners of several processes on one database never send
	// it twice; an unclaimed message has claim_owner '' and claim_until 0.
	`
ALTER TABLE queue ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE queue ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
`,
	// 6: state shared by the nodes of one store (docs/architecture.md
	// §Shared state): the key/value storage (kv.go: DKIM keys, later
	// ACME certificates), leased locks (locks.go: POP3 maildrops) and
	// the \Recent boundary of each mailbox (recent.go), which goes with
	// its mailbox. Times are Unix milliseconds.
	`
CREATE TABLE kv (
	key      TEXT PRIMARY KEY,
	value    BLOB NOT NULL,
	modified INTEGER NOT NULL
);
CREATE TABLE locks (
	name    TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE recent (
	mailbox INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
	uid     INTEGER NOT NULL
);
`,
	// 7: message identity and the account change state.
	migrationIdentity,
	// 8: POP3 sizes without dot-stuffing (RFC 1939 §11): the "wire_size"
	// backfill counts msgmeta.Meta.WireSize again for every message.
	`INSERT OR IGNORE INTO backfills(name) VALUES ('wire_size');`,
	// 9: the TLS demands of a queued message (RFC 8689): the REQUIRETLS
	// parameter and the "TLS-Required: No" header field, 0 or 1.
	`
ALTER TABLE queue ADD COLUMN require_tls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN tls_optional INTEGER NOT NULL DEFAULT 0;
`,
	// 10: the full-text index (textindex.go).
	migrationTextIndex,
	// 11: the access rights on shared mailboxes (acl.go, RFC 4314):
	// grantee 0 is store.Anyone, so it has no foreign key; the entries of
	// a grantee go in DeleteAccount. IF NOT EXISTS: tests rewind the
	// version to replay an older migration.
	`
CREATE TABLE IF NOT EXISTS acl (
	mailbox INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
	grantee INTEGER NOT NULL,
	rights  TEXT NOT NULL,
	PRIMARY KEY (mailbox, grantee)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS acl_grantee ON acl(grantee);
`,
	// 12: the save date (RFC 8514), Unix seconds; 0 for the messages
	// stored before, read as their internal date (store.SaveDateOf).
	`ALTER TABLE messages ADD COLUMN saved INTEGER NOT NULL DEFAULT 0;`,
	// 13: when each unindexed body was listed, for the indexer's backlog
	// metric (textindex.go).
	migrationTextSince,
	// 14: the bodies waiting for the indexer (over = 0) in an index of
	// their own, so that its batches and the backlog metric read none of
	// the rows over the bound (textindex.go).
	migrationTextPending,
	// 15: the full-text index's body table without positions, its text
	// beside it; the index built again (textindex.go).
	migrationTextLayout,
}

// migrationIdentity gives every message a thread ID (RFC 8474 §5.2;
// ident.go) and every account a change state. A message's email ID is the
// id of its blob (insertMessage), so existing messages have theirs
// already.
//
// thread_keys maps the message IDs an account has seen (store.ThreadKeys)
// to their thread; it and the thread IDs of existing messages are filled
// by the "threads" backfill, which threads the old mail in arrival order
// as if it were delivered now (until then each message is its own
// thread). Keys stay when their messages are expunged (a reply to a
// deleted message still joins its thread) and go with the account. The
// "wire_size" backfill adds msgmeta.Meta.WireSize to metadata stored
// before the field existed, so that WireSizes never reports 0 for a
// message that has octets.
const migrationIdentity = `
ALTER TABLE messages ADD COLUMN threadid INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET threadid = blob;
ALTER TABLE accounts ADD COLUMN state INTEGER NOT NULL DEFAULT 0;
CREATE TABLE thread_keys (
	account INTEGER NOT NULL,
	key     TEXT NOT NULL,
	thread  INTEGER NOT NULL,
	PRIMARY KEY (account, key)
) WITHOUT ROWID;
CREATE TABLE backfills (name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO backfills(name) VALUES ('threads'), ('wire_size');
`

// migrate brings the schema up to date inside one immediate transaction, so
// that two processes starting at once cannot both apply a migration.
func migrate(ctx context.Context, conn *sql.Conn, blobDir string) error {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	applied, err := migrateTx(ctx, conn)
	if err == nil && applied {
		err = runBackfills(ctx, conn, blobDir)
	}
	if err != nil {
		conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if applied {
		// A migration that rebuilt a table leaves the whole table in the
		// WAL (a gigabyte for a large store), which every read would
		// then consult: copy it into the database now and empty the WAL.
		// A failure here loses nothing; the next checkpoints do it.
		conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return nil
}

// migrateTx applies the migrations the database lacks; applied reports
// whether there were any.
func migrateTx(ctx context.Context, conn *sql.Conn) (applied bool, err error) {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return false, fmt.Errorf("database schema version %d is newer than this program (%d): upgrade petrel", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
			return false, fmt.Errorf("migration %d: %w", v+1, err)
		}
		// PRAGMA does not take bound parameters.
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return false, fmt.Errorf("set schema version %d: %w", v+1, err)
		}
	}
	return version < len(migrations), nil
}
