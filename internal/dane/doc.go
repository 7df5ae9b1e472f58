// Package dane verifies a TLS server's certificate chain against its
// TLSA records, as SMTP uses them (RFC 7672, on RFC 6698 and RFC 7218's
// names):
//
//   - RFC 7672 §3.1.3: only the usages DANE-TA(2) and DANE-EE(3) are
//     usable for SMTP; PKIX-TA(0) and PKIX-EE(1), selectors other than
//     Cert(0) and SPKI(1), matching types other than Full(0), SHA2-256(1)
//     and SHA2-512(2), and digests of the wrong length are unusable and
//     ignored (Usable).
//   - RFC 7672 §3.1.1: a DANE-EE record matches the server's own
//     certificate (the leaf); its names and validity dates are not
//     checked.
//   - RFC 7672 §3.1.2, §3.2: a DANE-TA record matches a certificate the
//     server sent in its chain; the leaf must chain up to it, be valid
//     now and carry one of the reference names (§3.2.3: the TLSA base
//     domain, which the caller gives).
//   - RFC 6698 §2.1: a record matches when the selected part (the whole
//     certificate, DER, or its SubjectPublicKeyInfo) equals the data, or
//     hashes to it with SHA-256 or SHA-512 (Association).
//
// Verify and VerifyConnection (for tls.Config.VerifyConnection, with
// InsecureSkipVerify: DANE replaces the Web PKI) succeed when any usable
// record matches.
package dane
