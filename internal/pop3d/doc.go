// Package pop3d is Petrel's POP3 server: download-and-delete access to an
// account's INBOX, as a client of the store API (like IMAP) and of the
// accounts service.
//
// It implements:
//
//   - RFC 1939 (POP3): USER, PASS, STAT, LIST, RETR, DELE, NOOP, RSET,
//     QUIT, TOP and UIDL; the AUTHORIZATION, TRANSACTION and UPDATE
//     states; the inactivity autologout timer (§3: at least 10 minutes).
//     APOP is not implemented.
//   - RFC 2449 (extension mechanism): CAPA, response codes (RESP-CODES,
//     [IN-USE]), PIPELINING.
//   - RFC 3206: the [SYS/TEMP], [SYS/PERM] and [AUTH] response codes and
//     AUTH-RESP-CODE.
//   - RFC 5034: AUTH with SASL SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC
//     7677, channel binding tls-exporter RFC 9266), PLAIN (RFC 4616) and
//     LOGIN, initial responses included.
//   - RFC 2595 §4: STLS; RFC 8314: implicit TLS (pop3s) when Serve is
//     given a tls.NewListener.
//
// Decisions:
//
//   - The maildrop is the account's INBOX as it was at login: message
//     numbers are fixed for the session, messages delivered later appear
//     in the next session.
//   - Sizes (STAT, LIST, the RETR status line) are the octets of the
//     message as RETR delivers it once un-stuffed (RFC 1939 §5, §11):
//     every line ending CRLF, a CRLF added to a last line without one,
//     without the byte-stuffing only the transmission adds. msgmeta computes that size
//     (Meta.WireSize) once at delivery; the maildrop is listed with one
//     bulk store read (store.Mail.WireSizes).
//   - UIDL is the INBOX's UIDVALIDITY and the message's UID, 8 lower-case
//     hex digits each: stable across sessions and restarts, shared with
//     IMAP, never reused.
//   - DELE only marks. QUIT from TRANSACTION enters UPDATE and removes the
//     marked messages with one store Expunge, which IMAP sessions see as
//     EXPUNGE or VANISHED. A connection that ends any other way (drop,
//     timeout, shutdown) deletes nothing (RFC 1939 §6).
//   - RETR marks the message \Seen; TOP does not. The flags are stored in
//     batches shortly after (at most Config.SeenFlushDelay, and at the
//     latest when the session ends, QUIT or not), so a RETR never waits
//     for a commit of its own.
//   - One POP3 session per maildrop (RFC 1939 §8): a second login to the
//     same account, on any listener or node sharing the store, gets
//     "-ERR [IN-USE]" (RFC 2449 §8.1.1) and may try again. The lock is a
//     lease in the store (store.Locks), renewed while the session lives;
//     the lock of a node that crashed expires after Config.LockLease. A
//     session whose lock was lost (renewals failing for a whole lease)
//     ends at its next command with "-ERR [SYS/TEMP]", without UPDATE
//     (docs/architecture.md §Shared state).
//   - A message expunged by another client (IMAP) while the maildrop is
//     open: the session follows the store's change feed, and the message
//     then counts as deleted by someone else: it leaves STAT, LIST and
//     UIDL, and RETR, TOP, DELE and LIST of its number answer "-ERR
//     Message was deleted by another client". Its number is not reused.
//     If RETR comes before the change is seen, the body is read by its
//     blob ID, which is never reused: the client gets that message (when
//     another copy still holds the body) or -ERR, never another message.
//   - Credentials (USER/PASS, AUTH) only over TLS, unless
//     Config.AllowInsecureAuth; CAPA lists USER and SASL only when they
//     work, and STLS only before TLS. Failed logins are throttled per
//     client and per account by a shared authguard: a throttled attempt
//     gets "-ERR [SYS/TEMP]" without its password being checked, a wrong
//     password "-ERR [AUTH]" (RFC 3206). A wrong user name and a wrong
//     password get the same reply. A connection is closed after
//     MaxAuthFailures failed logins.
//   - Bad input: unknown commands, commands of another state and bad
//     arguments get "-ERR" and the session goes on; an over-long line
//     (MaxLineLength) is refused with -ERR and skipped; before login,
//     more than MaxBadCommands bad commands close the connection.
//   - Time: IdleTimeout (RFC 1939 §3: at least 10 minutes) for the first
//     octet of each command; from there the whole line must arrive within
//     LineTimeout, so that octets trickling in cannot hold a connection;
//     the TLS handshake (pop3s, STLS) must end within HandshakeTimeout.
//   - Commands are read and answered in order; replies are written out
//     when no more pipelined input is buffered. Commands pipelined after
//     STLS are discarded (RFC 2595 §4 and the plaintext-injection
//     attack).
//   - Replies are typed values (Reply) with fixed texts: no Go error text
//     reaches the wire, storage failures answer [SYS/TEMP] with a log
//     reference, and neither passwords nor message bodies are logged.
package pop3d
