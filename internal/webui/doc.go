// Package webui is Petrel's web admin (/admin/) and account page
// (/account/): server-rendered html/template pages on the operations
// layer (package ops), embedded with embed, with no script at all (README
// "Web and API").
//
// Security:
//   - Sessions: a random 32-octet ID in a cookie that is HttpOnly, Secure
//     and SameSite=Strict (RFC 6265 §4.1.2.5-6, draft-ietf-httpbis-rfc6265bis
//     §4.1.2.7); the store's key/value entries keep its SHA-256 (FIPS
//     180-4), never the ID, with the account and an expiry, so that every
//     node of a cluster accepts it. Each request checks that the address
//     still names the account that logged in, with the same password
//     (a stamp of its hash): a deleted account's or a changed password's
//     sessions end.
//   - CSRF: every form carries a token, the session's (or, on the login
//     form, a double-submit cookie's); a POST without the right one gets
//     403 and changes nothing.
//   - Logins go through the failed-login guard (authguard) like IMAP's, with
//     the main password only (accounts.AuthenticatePassword): app passwords
//     never open the web.
//   - Headers: Content-Security-Policy without scripts, frame-ancestors
//     'none' (CSP Level 3 §6.4.2), X-Frame-Options DENY (RFC 7034),
//     Strict-Transport-Security (RFC 6797 §6.1), no-referrer.
//   - The admin part answers only the configured networks
//     ([http] admin_networks).
//
// The dashboard's charts come from a Sampler: a per-node ring of the
// Prometheus counters of messages in, out and refused, sampled every few
// minutes.
package webui
