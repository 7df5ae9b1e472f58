// Package ops is Petrel's operations layer: every administrative action as
// a service with typed inputs and results, called by the CLI (cmd/petrel)
// and by the admin API (package webapi; docs/architecture.md
// §Operations). Nothing here prints, parses flags or exits; errors are
// *Error values whose Kind maps to an exit status or an HTTP status
// (Kind.HTTPStatus).
//
// The services:
//
//   - Directory: domains (a new domain's postmaster@ and abuse@, RFC 5321
//     §4.5.1 and RFC 2142 §2, resolve: aliases of a named address, or
//     delivery's fallback, accounts.Service.Postmaster), accounts (create, delete, password, list), extra
//     addresses, aliases and quotas, app passwords and the admin flag, on
//     accounts.Service. A password left empty is generated (130 bits,
//     rand.Text) and returned once.
//   - Tokens: the admin API's tokens (README "Admin API"): made with 130
//     random bits, shown once, stored as their SHA-256 (FIPS 180-4) in the
//     store's key/value entries, optionally read-only, revocable.
//   - Queue: list, show, retry, delete and count the outbound queue, on
//     queue.Service; deleting sends no report.
//   - DKIM: generate a key for a domain, list a domain's keys with their
//     role in a rotation (RFC 6376 §3.6.1, RFC 8463; dkim.ActivationDelay).
//   - DNS: the records a domain publishes (package dnsplan) and their check
//     against DNS, with the warnings an operator needs (host name not fully
//     qualified, domain not local, unreadable key files, a DMARC report
//     address that takes no mail: the record then asks for no reports).
//   - Logins: forget the failed logins of an account or a client address
//     (docs/configuration.md §Login throttling), through an Unlocker: the
//     control socket for the CLI, the throttle itself for an in-server API.
package ops
