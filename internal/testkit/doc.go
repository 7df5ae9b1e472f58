// Package testkit holds what the tests of several packages need alike: a
// temporary SQLite store with accounts (fast password hashing), a private
// PostgreSQL server to stop and start, a
// self-signed TLS pair, a DKIM key with a signer and a DNS server
// publishing it, loopback listeners and addresses, a log buffer safe for
// concurrent writers, a settable clock, the reference of a storage
// failure's reply, and a line-oriented client on a raw connection for the
// line protocols (SMTP, LMTP, POP3, IMAP), with IMAP's tagged commands
// and literals on top.
//
// Only tests import it (internal/layering enforces that); it may import
// the storage backend for that reason. It implements no RFC: the
// protocol rules its client checks are the line ending of RFC 5321
// §2.3.8, RFC 1939 §3 and RFC 9051 §2.2 (every line ends in CRLF), and
// RFC 9051 §4.3 for the IMAP literals it reads.
package testkit
