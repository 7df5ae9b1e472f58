// Package authguard throttles failed logins. It is shared by the protocols
// that take passwords (POP3 now, IMAP and submission later), so that one
// attacker meets the same limits whichever port it tries.
//
// Failures are counted per client and per account. A client is an IPv4
// address or an IPv6 /64 (one subscriber's usual allocation); an account is
// the user name as the caller normalised it. Counts are forgotten once no
// failure happened for Config.Window.
//
//   - Slow down: past a few free failures (IPFree, AccountFree), each
//     further failure doubles the delay the next attempt waits before its
//     password is checked, from BaseDelay up to MaxDelay.
//   - Block: at IPBlock failures of a client, or AccountBlock failures of
//     an account, attempts are refused without checking the password for
//     BlockFor. Protocols answer them as a temporary failure (POP3:
//     "-ERR [SYS/TEMP]", RFC 3206 §4), so that clients retry later instead
//     of asking the user for a new password; a wrong password is an
//     authentication failure ("-ERR [AUTH]", RFC 3206 §5).
//   - No lock-out of real users: a client that logged in to an account
//     successfully within TrustFor is trusted for that account. A trusted
//     (client, account) pair is neither delayed nor blocked, neither by the
//     account's failures (an attacker elsewhere guessing the password) nor
//     by the client's (another user behind the same NAT). Blocks expire.
//
// Memory is bounded: each of the three tables (clients, accounts, trusted
// pairs) holds at most MaxEntries entries and forgets the least recently
// changed one when full. The state is in memory, per process.
//
// The package uses the standard library only (layer L1), and its clock is
// injectable (Config.Now) for tests.
package authguard
