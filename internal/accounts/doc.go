// Package accounts holds the rules for Petrel's domains, accounts,
// addresses, aliases and passwords, on top of a store directory that only
// stores what it is given.
//
// Every address is canonicalised with mailaddr.Canonical before it reaches
// the directory: domains are stored as lower-case A-labels (RFC 5890,
// UTS #46), local parts NFC-normalised and lower-cased, so matching is
// case-insensitive within Petrel's own domains (RFC 5321 §2.4 leaves the
// meaning of a local part to the domain that owns it). Alias targets in
// remote domains keep their local part as written, because another host
// may treat case as significant.
//
// Resolution (Service.Resolve) looks an address up in this order: an
// account's primary or extra address, an alias, the same two for the
// address without its subaddress tag (user+tag, RFC 5233 §1; the separator
// is configurable and can be disabled), and finally the domain's catch-all
// alias "@domain". Alias targets are resolved the same way, recursively;
// loops and expansions that are too deep or too wide are errors, and
// targets in other domains are returned as remote addresses.
//
// Passwords are hashed with argon2id (RFC 9106) and stored in the PHC
// string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash, salt and hash
// in unpadded standard base64). Verification is constant-time, the number
// of concurrent hash computations is bounded, and authenticating an unknown
// user costs one hash computation too, so response times do not reveal
// which users exist.
//
// App passwords (apppasswords.go, README "App passwords") are per-device
// passwords the service makes (130 random bits) and hashes the same way;
// Authenticate, the login of IMAP, POP3 and SMTP AUTH, accepts them beside
// the main password, or instead of it when FlagAppPasswordsOnly is on and
// the account has any. AuthenticatePassword takes the main password only
// (the admin API). They and the account flags (flags.go) live in the
// store's key/value entries under the account's primary address.
//
// NewSASLServer is the SASL side of every mail protocol: PLAIN (RFC
// 4616), LOGIN, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677,
// RFC 9266; package scram has the messages). The SCRAM secrets of the
// main password (RFC 5802 §3) live in the key/value entries too, keyed by
// the password hash they were made with (scram.go); app passwords have
// none.
package accounts
