// Package scram implements the server side of the SASL mechanisms
// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677): the
// messages (parsed with the saslname escapes =2C and =3D, RFC 5802
// §5.1), the keys a server stores (StoredKey and ServerKey, §3, encoded
// as in RFC 5803 §3), the proof check and the server signature.
//
// Channel binding (RFC 5802 §6) is of type tls-exporter (RFC 9266): the
// caller gives the 32 bytes of the TLS exporter "EXPORTER-Channel-Binding"
// when the connection has them. A client that sent the gs2 flag "y" while
// the server supports binding is refused (a downgrade, RFC 5802 §6).
//
// Passwords are prepared with the OpaqueString profile of PRECIS (RFC
// 8265 §4.2, which replaces SASLprep, RFC 4013, per RFC 7613). Proofs are
// compared in constant time; server nonces come from crypto/rand.
//
// The package knows no accounts: its caller looks the user's secrets up
// (package accounts) and settles the login.
package scram
