// Package smtpclient is Petrel's outbound SMTP client: it delivers one
// message to the recipients of one domain in one transaction and returns a
// typed result per recipient.
//
// The route to a domain is a static route (delivery.routes), the relay host
// (delivery.relayhost), or the domain's mail exchangers:
//
//   - RFC 5321 §5.1: MX records sorted by preference, equal preferences in
//     random order; without MX records the domain's own address records
//     (the implicit MX); each host's addresses are tried in turn until one
//     answers.
//   - RFC 7505: a null MX ("0 .") means the domain accepts no mail: every
//     recipient fails at once with 550 5.1.10.
//   - RFC 5321 §4.5.3.2: connect and per-command timeouts (greeting, MAIL,
//     RCPT, DATA initiation, data blocks, DATA termination).
//   - RFC 3207: STARTTLS whenever the server offers it, opportunistically
//     (the certificate is not verified, like Postfix's "may" level); when
//     the handshake fails the host is tried again without TLS. Config
//     RequireTLS verifies the certificate and never falls back. The MX
//     host name goes as SNI (RFC 6066 §3).
//   - RFC 7672: DANE for an MX host whose MX and address records are
//     DNSSEC-validated and that has TLSA records (policy.go, package
//     dane): TLS required, the certificate matched against the usable
//     records; a failed TLSA lookup skips the host (§2.2); never
//     plaintext (a missing STARTTLS is a downgrade, deferred).
//   - RFC 8461: MTA-STS through Config.STS (STSLookup); DANE takes
//     precedence (§2); enforce: only MX hosts that match the policy
//     (§4.1), with a certificate valid for the host name (§4.2), else
//     451 4.7.5; testing: checked, reported, delivered.
//   - RFC 8689: a REQUIRETLS message goes only to an MX validated by
//     DNSSEC or MTA-STS, over authenticated TLS, to a server offering
//     REQUIRETLS, with the MAIL parameter (§4.2.1), else 550 5.7.10 (§5);
//     "TLS-Required: No" (Message.TLSOptional, §4.1) makes policy
//     failures reports only.
//   - RFC 8460: each connection's TLS outcome (policy type, result type)
//     goes to Config.TLSReport.
//   - RFC 2920: with PIPELINING, MAIL and every RCPT go in one batch.
//   - RFC 1870: SIZE= is declared, and a message larger than the server's
//     advertised limit fails permanently (552 5.3.4) without being sent.
//   - RFC 6152: BODY=8BITMIME for 8-bit messages when offered; §3: to a
//     server without it the 8-bit parts are sent as quoted-printable
//     (package mime7bit), or, when they cannot be (8-bit header fields,
//     binary parts), every recipient fails with 554 5.6.3 (RFC 3463).
//   - RFC 6531: SMTPUTF8 when the message needs it; a server without it
//     gets nothing, the recipients fail with 553 5.6.7 (non-ASCII address)
//     or 553 5.6.9 (UTF-8 header fields) as RFC 6533 §3 names them.
//   - RFC 3461: the DSN parameters NOTIFY, ORCPT, RET and ENVID are passed
//     on only to a server that offers DSN.
//   - RFC 4954: AUTH PLAIN (RFC 4616) to the relay host when credentials
//     are configured, and only over TLS.
//
// Replies from the remote server are returned as they came
// (*smtpreply.Reply); the replies the client makes up (no answer, null MX,
// DNS failure) never carry Go error text, which goes to the log only.
package smtpclient
