// Package envelope is the one description of an SMTP/LMTP transaction
// that every stage of the ingest path shares (docs/flow.md): smtpd fills
// it from the commands, delivery routes and stores by it, and the
// outbound queue keeps its parameters with the queued message. A new SMTP
// parameter adds a field here, its parser in smtpd and its consumer.
//
// It carries:
//
//   - the reverse-path and forward-paths (RFC 5321 §4.1.1.2, §4.1.1.3);
//   - the MAIL FROM parameters: SIZE (RFC 1870 §4), BODY (RFC 6152 §2),
//     SMTPUTF8 (RFC 6531 §3.4), RET and ENVID (RFC 3461 §4.3, §4.4),
//     REQUIRETLS (RFC 8689 §2);
//   - the TLS-Required header field (RFC 8689 §3), which delivery reads
//     for the queue;
//   - the RCPT TO parameters: NOTIFY and ORCPT (RFC 3461 §4.1, §4.2);
//   - the session facts the trace fields need (RFC 5321 §4.4, the RFC
//     3848 "with" keyword).
//
// Values are stored decoded (xtext undone) and validated by the parser;
// this package holds no behaviour beyond small accessors.
package envelope
