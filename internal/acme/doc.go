// Package acme obtains and renews the server's certificates from an ACME
// CA (RFC 8555) with certmagic, and serves them to every TLS listener.
//
// Certificates, their private keys and the ACME account are kept in the
// store's key/value storage (Storage: store.KV, with the store's leases as
// certmagic's locks), so that in PostgreSQL mode every node finds them and
// only one node at a time obtains or renews a name. Private keys are reused
// across renewals so that a published TLSA 3 1 1 record (RFC 7671 §5.1)
// stays valid. Challenges: TLS-ALPN-01 (RFC 8737) on the HTTPS listener and
// HTTP-01 (RFC 8555 §8.3) on the plain HTTP one. A renewal is attempted
// when a third of the lifetime remains or when the CA's renewal
// information (RFC 9773) says; a failed one is logged, counted and retried
// with back-off while the old certificate keeps serving. README
// "Certificates and transport security".
package acme
