// Package mailaddr parses, prints and canonicalises email addresses.
//
// It implements:
//
//   - RFC 5321 §4.1.2 (Mailbox, Local-part, Dot-string, Quoted-string, Path)
//     and §4.1.3 (address literals), with the limits of §4.5.3.1.1 (local
//     part ≤ 64 octets) and §4.5.3.1.2 (domain ≤ 255 octets);
//   - RFC 5321 §4.1.1.3 source routes, which ParsePath strips and Parse
//     rejects;
//   - RFC 6531 §3.3 (SMTPUTF8): UTF-8 in local parts and U-labels in domains;
//   - RFC 5890/5891 and UTS #46 (lookup profile, non-transitional) for IDNA:
//     the canonical stored form of every domain is its lower-case A-label
//     form, without a trailing dot;
//   - RFC 5233 style subaddresses (user+tag) through SplitSubaddress.
//
// Decisions:
//
//   - Address.Local holds the local part's content: the quotes and
//     backslash escapes of a Quoted-string are removed by Parse and added
//     back by String only when the content is not a valid Dot-string, so
//     "user"@x and user@x are the same Address.
//   - The 64-octet limit applies to the local part as String writes it
//     (its shortest wire form). An empty local part ("") is rejected.
//   - user%other@example.org is a local part that contains '%'; it is never
//     routed to "other" (the percent hack, RFC 1123 §5.2.16, is not
//     implemented). "user@other"@example.org is a quoted local part that
//     contains '@'. Bang paths (host!user@example.org) are plain local
//     parts. Nothing in a local part is ever interpreted as a route.
//   - Address literals ([192.0.2.1], [IPv6:2001:db8::1]) parse; the Domain
//     field then holds the literal with its brackets and Address.IsLiteral
//     reports it, so that callers can refuse them where a domain is
//     required. General address literals with other tags (RFC 5321 §4.1.3
//     General-address-literal) and IPv6 zones are rejected.
//   - A trailing dot (an absolute DNS name) is rejected by Parse and
//     ParsePath, because RFC 5321's Domain grammar has no empty label; the
//     functions that take a bare domain name (CanonicalDomain and the
//     operator's commands built on it) remove one trailing dot, as MX host
//     names and copied DNS names carry one.
//   - A domain parses only when it has a valid IDNA lookup form, so that
//     Canonical never fails on an Address returned by Parse. Parse keeps
//     the domain as written; Canonical converts it.
//   - Canonical lower-cases local parts (after Unicode NFC normalisation):
//     Petrel treats local parts as case-insensitive for its own domains, as
//     RFC 5321 §2.4 allows the host that owns the domain to do. Local parts
//     of remote addresses must not be compared after Canonical.
//   - C0 and C1 control characters and invalid UTF-8 are never part of an
//     address.
//   - The null reverse-path "<>" is the zero Address; its String is "".
//     The special "<Postmaster>" forward-path without a domain
//     (RFC 5321 §4.1.1.3) is left to the SMTP server.
package mailaddr
