// Package msgauth authenticates one message that arrived on the MX: it
// runs SPF on both identities (internal/spfcheck), verifies the DKIM
// signatures (internal/dkim) and applies DMARC (internal/dmarc), then
// returns a Verdict: what to do with the message (deliver, deliver to
// Junk, refuse with 550, refuse for now with 451), the one
// Authentication-Results field to prepend, and the byte ranges of the
// incoming Authentication-Results fields that claim this server's
// authserv-id, which the caller must remove.
//
// RFCs:
//   - RFC 8601 Message Header Field for Indicating Message Authentication
//     Status: the field's syntax (§2.2), authserv-id (§2.5), the result
//     names and properties of each method (§2.7: smtp.mailfrom,
//     smtp.helo, header.d, header.s, header.a, header.from), reasons
//     (§2.3) and comments, and the removal of forged fields (§5).
//   - RFC 6008: header.b, the first characters of a DKIM signature, to
//     tell several signatures of one domain apart.
//   - RFC 7208 (SPF) §2.3, §2.4: the HELO and MAIL FROM identities; RFC
//     7372 §3.2: 4.7.24 for an SPF check that failed temporarily.
//   - RFC 6376 (DKIM): all signatures, up to a limit (§6.1); RFC 3463
//     X.7.5 for a key lookup that failed temporarily.
//   - RFC 7489 (DMARC) §6.6: the policy decides; a failure under
//     p=reject is refused with 550 5.7.1 (§10.3, or delivered to Junk
//     when so configured), under p=quarantine delivered to Junk (§6.3).
//     A temperror (internal/dmarc gives it only where a later try could
//     change the outcome) is refused for now: 451 4.7.24 (SPF), 4.7.5
//     (DKIM) or 4.7.1 (the policy record: RFC 7372 has no code for it).
//   - RFC 5322 §2.2, §3.6.2: header fields and the From field (every
//     address of every From field is evaluated; internal/dmarc applies
//     the most severe outcome).
//
// The Authentication-Results field is written here rather than with
// go-msgauth's authres package, which neither folds lines nor writes
// comments, and whose parser does not skip comments before the
// authserv-id (an attacker's way around a naive removal). Each result is
// on its own line, folded below 78 octets where the values allow
// (RFC 5322 §2.1.1); the SPF result of the HELO identity is a second spf
// result with smtp.helo (RFC 8601 §2.7.2), and a message that has no
// signature, no SPF record or no DMARC policy says dkim=none, spf=none or
// dmarc=none.
//
// Nothing in a Verdict depends on the time of day: DKIM signature
// expiry (x=) is checked by go-msgauth on the real clock, so there is
// no clock to inject.
package msgauth
