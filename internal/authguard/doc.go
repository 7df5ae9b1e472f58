// Package authguard throttles failed logins. It is shared by the protocols
// that take passwords (IMAP, POP3, submission), so that one attacker meets
// the same limits whichever port it tries.
//
// Failures are counted per client, per account and per (client, account)
// pair. A client is an IPv4 address or an IPv6 /64 (one subscriber's usual
// allocation); an account is the account the user name logs in to
// (Config.AccountKey: the wiring looks it up as a login would), so that
// every spelling and every address of an account count as one. Counts are forgotten once no failure
// happened for Config.Window.
//
// An attempt is counted before its password is checked: Begin reserves it
// and its Attempt settles it as a Failure, a Success or Abandon. Attempts in
// flight count as failures against every limit, so N parallel connections
// get no more password checks than N sequential ones
// (docs/configuration.md §Login throttling).
//
//   - Sources first: past IPFree failures a client's attempts wait,
//     doubling from BaseDelay up to MaxDelay; at IPBlock failures the
//     client is blocked for BlockFor and its attempts are refused without
//     checking the password. Protocols answer them as a temporary failure
//     (POP3 "-ERR [SYS/TEMP]", RFC 3206 §4; IMAP "NO [UNAVAILABLE]"; SMTP
//     454 4.7.0), so that clients retry later.
//   - Accounts are slowed, never locked: past AccountFree failures, from
//     wherever they came, an untrusted client's attempt on the account
//     waits (doubling up to MaxDelay), so a storm from a few addresses
//     blocks those addresses and only slows the owner logging in from a
//     new one.
//   - Trust relaxes, never removes: a client that logged in to an account
//     within TrustFor is trusted for it, and neither the account's failures
//     (an attacker elsewhere) nor the client's other failures (another user
//     behind the same NAT) delay or block it. The pair's own failures do:
//     past IPFree of them its attempts wait, doubling, and at
//     TrustedFailures the trust ends, so a guesser behind a trusted address
//     meets the ordinary limits within a few attempts. Every failure also
//     counts for its client and account.
//   - The operator can forget an account's or a client's state (Unlock,
//     UnblockClient; `petrel user unlock`).
//
// Memory is bounded: each of the three tables (clients, accounts, pairs)
// holds at most MaxEntries entries and forgets the least recently changed
// one when full. The state is in memory, per process.
//
// The package uses the standard library and netserve.ClientKey (layer L1),
// and its clock is injectable (Config.Now) for tests.
package authguard
