// Package sieve is Petrel's Sieve interpreter: it parses a user's filter
// script, checks it (errors carry a line and column), keeps the compiled
// form for reuse (Cache), and runs it on one message to decide the
// actions of its delivery. It decides; it does not deliver, send or
// store: the caller (delivery, later stages of issue 18) carries out the
// Result's actions.
//
// Standards implemented:
//
//   - RFC 5228 Sieve: the language, keep, fileinto, redirect, discard,
//     the address, envelope, header, exists, size, allof, anyof, not tests,
//     comparators i;octet and i;ascii-casemap, the implicit keep.
//   - RFC 4790 §9.1 comparator i;ascii-numeric.
//   - RFC 5429 reject and ereject (actions only: the SMTP refusal or DSN
//     is the caller's).
//   - RFC 5228 §2.4.2.4 encoded-character.
//   - RFC 5232 imap4flags, RFC 5229 variables, RFC 5231 relational,
//     RFC 5233 subaddress ('+' separator), RFC 3894 copy, RFC 5173 body,
//     RFC 5490 mailbox (:create and mailboxexists), RFC 5463 ihave.
//   - RFC 5230 vacation and RFC 6131 vacation-seconds: the action and its
//     parameters; the reply (RFC 3834 rules, tracking per sender) is sent
//     by the caller.
//   - RFC 5260 date and index, RFC 5293 editheader (the new header is in
//     Result.Header), RFC 7352 duplicate (through the Duplicates
//     interface; the caller records Result.Duplicates after delivery),
//     RFC 6609 include (through the Includes interface), RFC 5235 spamtest
//     and spamtestplus (scores given in the Environment), RFC 5183
//     environment (items given in the Environment).
//   - regex (draft-ietf-sieve-regex), with Go's RE2 syntax.
//   - RFC 5703 mime, foreverypart and extracttext (not replace and
//     enclose).
//
// Not yet: enotify, replace/enclose, special-use.
//
// For the callers of later stages: delivery compiles each account's
// active script through a Cache, runs it with the message (ParsedMessage
// or its own Message) and an Environment (envelope, EnvironmentItems,
// spam scores, its Mailboxes, Duplicates and Includes), and carries out
// Result.Actions in order: Keep and FileInto store (creating the mailbox
// for Create), Redirect forwards (with SRS), Reject/Ereject refuse at
// RCPT or DATA or by a DSN, Vacation hands the VacationReply to the
// vacation sender, Discard is only logged; Result.Header replaces the
// stored header when editheader changed it, Result.Duplicates are
// recorded once the message is delivered, and Result.Err is logged and
// reported to the user while the message is kept. ManageSieve and the
// CLI check scripts with Compile (its *Error has line and column) and
// announce Capabilities.
//
// Why not a library: the maintained Go candidates (foxcpp/go-sieve, MIT,
// marked work in progress with known accepted-invalid scripts and no
// editheader, include, duplicate, date or mime) did not cover the issue's
// extension list; this package is small and owns its interfaces.
//
// Conformance is checked against Dovecot Pigeonhole's sieve-test by the
// differential corpus in testdata/diff (diff_test.go; live with
// PETREL_INTEROP=1). Where Pigeonhole and the RFC disagree the case says
// so and Petrel follows the RFC.
package sieve
