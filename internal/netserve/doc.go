// Package netserve is the connection side shared by Petrel's protocol
// servers (SMTP/LMTP, IMAP, POP3, ManageSieve): the accept loop with
// back-off on temporary errors, the limits on concurrent connections in
// total and per client IP (Limiter, which several servers may share: one
// protocol's listeners, or every protocol of the process), the bounded
// refusal of connections over a limit, the set of live sessions, and a
// graceful shutdown that stops accepting, asks every session to end at
// its next idle point (the protocol's own goodbye: SMTP 421, IMAP BYE,
// POP3 -ERR) and force-closes what is left when the deadline passes.
// Handshake runs a TLS handshake under an absolute deadline (RFC 8314
// implicit TLS, or after STARTTLS: RFC 3207, RFC 2595, RFC 9051 §6.2.1).
// Conn is the connection of a line-protocol session (POP3, ManageSieve):
// STARTTLS's swap, Shutdown's interrupt, the idle and per-command read
// deadlines and a write deadline per write. The protocols themselves
// live in their packages; this one never reads or writes a byte of them.
package netserve
