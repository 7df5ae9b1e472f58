// Package spfcheck evaluates SPF (RFC 7208) for one SMTP transaction: the
// MAIL FROM identity (RFC 7208 §2.4) and the HELO identity (§2.3), on
// blitiri.com.ar/go/spf, with every DNS lookup going through the caller's
// Resolver (internal/dnsr in production, dnstest in tests).
//
// Results are the RFC 7208 §8 keywords (none, neutral, pass, fail,
// softfail, temperror, permerror) with what RFC 8601 §2.7.2 needs for an
// Authentication-Results field (smtp.mailfrom, smtp.helo) and a short,
// stable reason. Formatting the header, and deciding what to do with the
// message, is the caller's job (internal/msgauth).
//
// What this package adds to the library, each checked by a test:
//
//   - §2.3: a HELO name that is an address literal or not a fully
//     qualified domain name is not checked (result none).
//   - §2.4, §4.3: the null reverse-path is checked as postmaster@<HELO>;
//     a sender without a local part gets "postmaster" (the library leaves
//     %{l} and %{s} empty).
//   - §4.3: a malformed or single-label <domain> gives none at once.
//   - §4.6, §12: a record is checked against the ABNF before it is
//     evaluated, so that a syntax error anywhere in it (also after the
//     term that matched, or in a domain-spec's top label, or a non-ASCII
//     byte) is a permerror; the library only finds errors in the terms
//     it reaches.
//   - §5, §7.3: a name that is an IP address (such as "exists:%{i}") is
//     looked up as a name, not taken as its own address, so it does not
//     match; an expanded name longer than 253 octets loses labels on the
//     left until it fits (§7.3); the library does neither.
//   - §4.6.4: the whole check is bounded in time (Timeout; each query is
//     bounded by the resolver), and a lookup cut short is a temperror.
//
// The library counts the 10 DNS-querying terms and 2 void lookups of
// §4.6.4, evaluates include, redirect, exists, ptr and macros (§7), and
// ignores exp= (explanations are not needed on the receiving side). It
// expands %{p} to "unknown" without a PTR lookup (allowed by §7.3, which
// discourages the macro).
package spfcheck
