// Package certs provides the TLS configuration shared by Petrel's listeners.
//
// With a certificate and key configured ([tls] cert and key), Load uses them
// through a Reloader, which reads them again on request (SIGHUP) and when
// they change, keeping the old certificate when the new files are broken.
// Without, it keeps a self-signed ECDSA P-256 certificate for the host name in
// <data_dir>/tls/: generated on the first start, reused afterwards, and
// generated again only when it is missing, unreadable, expired, or was made
// for another host name.
//
// Every listener shares one tls.Config whose GetCertificate is asked on each
// handshake, so a certificate replaced by the Reloader or by ACME
// (internal/acme, which falls back to Result.Base) is used by the next
// connection without a restart. TLS hygiene (RFC 9325): TLS 1.2 or later
// ([tls] min_version), ECDHE with AEAD suites only for TLS 1.2 (§4.2),
// session resumption with tickets (RFC 5077, RFC 8446 §2.2).
package certs
