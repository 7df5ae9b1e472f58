// Package imapd is Petrel's IMAP server: its own protocol layer (command
// parser, response writer, sessions) on the storage API of package store.
//
// It speaks IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501), the differences
// chosen by ENABLE IMAP4rev2 (RFC 5161), with these extensions: IDLE (RFC
// 2177), UIDPLUS (RFC 4315), MOVE (RFC 6851), SPECIAL-USE and
// CREATE-SPECIAL-USE (RFC 6154), NAMESPACE (RFC 2342), UNSELECT (RFC 3691),
// LITERAL+ (RFC 7888), SASL-IR (RFC 4959) with AUTHENTICATE PLAIN (RFC
// 4616) and SCRAM-SHA-256(-PLUS) (RFC 7677, RFC 9266; cmd_authsasl.go), ID (RFC 2971), CHILDREN (RFC 3348), LIST-EXTENDED (RFC 5258),
// LIST-STATUS (RFC 5819), ESEARCH (RFC 4731), SEARCHRES (RFC 5182),
// STATUS=SIZE (RFC 8438), APPENDLIMIT (RFC 7889), MULTIAPPEND (RFC 3502),
// BINARY (RFC 3516), CONDSTORE and QRESYNC (RFC 7162), QUOTA (RFC 9208),
// UTF8=ACCEPT (RFC 6855), SEARCH=FUZZY (RFC 6203), OBJECTID (RFC 8474), PREVIEW (RFC 8970),
// SAVEDATE (RFC 8514), METADATA (RFC 5464), REPLACE (RFC 8508), UIDONLY
// (RFC 9586), INPROGRESS (RFC 9585),
// COMPRESS=DEFLATE (RFC 4978, cmd_compress.go),
// NOTIFY (RFC 5465, cmd_notify.go, notify.go; notify_shared.go), SORT and THREAD (RFC
// 5256) with SORT=DISPLAY (RFC 5957) and ESORT (RFC 5267 §3; cmd_sort.go,
// orders from package imapsort, keys kept in sortcache.go), CONTEXT=SEARCH
// and CONTEXT=SORT (RFC 5267 §4; context.go), WITHIN (RFC 5032) and
// PARTIAL (RFC 9394; partial.go), ACL (RFC 4314) with
// RIGHTS=texk and LIST-MYRIGHTS (RFC 8440): shared mailboxes under the
// "Other Users" namespace (RFC 2342), every command checking its rights
// by package imapacl's table (acl.go, acl_cmd.go, acl_mailbox.go).
//
// Each command lives in one file, cmd_<name>.go (its arguments, parser
// and handler), and is registered in the command table (commandTable in
// commands.go) with the states it may run in; docs/architecture.md
// ("imapd") says how a command is added.
//
// Each session keeps an exact view of its selected mailbox (RFC 9051
// §7.5): the sequence-number to UID map the client was told. Changes made
// elsewhere (other sessions, SMTP delivery, POP3) arrive through the
// store's change feed; they are read from the store (ChangedSince,
// ExpungedSince) and sent as EXISTS, EXPUNGE or VANISHED and FETCH FLAGS
// after a command and during IDLE, never an EXPUNGE while a FETCH, STORE
// or SEARCH by sequence number is answered (§7.5.1).
//
// Message content (ENVELOPE, BODYSTRUCTURE, sections, SEARCH matching)
// comes from package imapmsg, on the metadata parsed at delivery and the
// body blob, streamed; SEARCH's text keys ask the store's full-text
// index first and read only what it cannot answer (search_index.go,
// docs/architecture.md §Full-text index). NUL goes only in a literal8 (RFC 9051 §4.3.1):
// APPEND refuses it in a plain literal and stores the parts of a literal8
// that hold it in base64 (RFC 3516 §4.2; append_nul.go); the literal
// writer sends any NUL of an older message as 0x80. Failed logins are throttled by a Guard
// (authguard). Storage errors map to responses in one table
// (session.storeError); Go error text never reaches the wire: failures of
// the server's own carry a reference to their log line, and a full disk
// is NO [UNAVAILABLE] (RFC 5530 §3; README "Storage").
package imapd
