// Package certs provides the TLS configuration shared by Petrel's listeners.
//
// With a certificate and key configured ([tls] cert and key), Load uses them
// through a Reloader, which reads them again on request (SIGHUP) and when
// they change, keeping the old certificate when the new files are broken.
// Without, it keeps a self-signed ECDSA P-256 certificate for the host name in
// <data_dir>/tls/: generated on the first start, reused afterwards, and
// generated again only when it is missing, unreadable, expired, or was made
// for another host name. Every configuration requires TLS 1.2 or later.
package certs
