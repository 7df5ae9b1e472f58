// Package smtpd is Petrel's SMTP and LMTP server: the protocol layer of
// the inbound (MX) listener, of LMTP behind another MTA, and later of
// submission. It parses commands, receives message data and hands each
// transaction to a Delivery (the delivery service), which decides about
// recipients and stores messages. Every reply is a *smtpreply.Reply; Go
// error text never reaches the client (internal failures answer 451 4.3.0
// with a reference that is in the log).
//
// It implements:
//
//   - RFC 5321 (SMTP): HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT,
//     VRFY (252), EXPN (502), HELP; the bare <Postmaster> recipient
//     (§4.5.1); source routes ignored (§4.1.1.3); command and data
//     timeouts (§4.5.3.2);
//   - RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 2920 (PIPELINING),
//     RFC 3207 (STARTTLS), RFC 3030 (CHUNKING: BDAT, never BINARYMIME),
//     RFC 6531 (SMTPUTF8), RFC 2034 and RFC 3463 (enhanced status codes),
//     RFC 3461 (DSN: the RET, ENVID, NOTIFY and ORCPT parameters, handed
//     to Delivery; xtext decoded, §4);
//   - RFC 8689 (REQUIRETLS): offered after EHLO in a TLS session only
//     (not in LMTP), the MAIL parameter marks the envelope (RequireTLS);
//     without TLS it gets 530 5.7.10;
//   - RFC 2033 (LMTP): LHLO, one reply per accepted recipient after the
//     data;
//   - RFC 3848 protocol names for the Received header (SMTP, ESMTP,
//     ESMTPS, LMTP, LMTPS, ...A).
//
// AUTH (RFC 4954) is not built in: an Extension (Config.Extensions) adds
// EHLO keywords, commands and a check before MAIL; submission will add
// AUTH through it.
//
// Decisions:
//
//   - Message data. Only CR LF "." CR LF ends DATA. A bare LF or a bare CR
//     never starts a line, neither for the terminator nor for
//     dot-unstuffing, so "\n.\n", "\n.\r\n", "\r\n.\n" and "\r.\r" are
//     message content (SMTP smuggling). Lines are split at CR LF only and
//     a line starting with "." loses it (RFC 5321 §4.5.2): "\r\n.\nX"
//     is the line ".\nX", stored as "\r\n\r\nX".
//   - Bare LF and bare CR inside the message are stored as CR LF, in DATA
//     and BDAT alike (as Postfix's smtpd_forbid_bare_newline = normalize):
//     the stored message has CR LF line ends only, so that it cannot
//     smuggle anything when relayed. A BDAT body is kept as sent
//     otherwise (no dot handling, no CR LF added at its end).
//   - A NUL octet anywhere refuses the message with 554 5.6.0 once the
//     data is read; the session goes on.
//   - The size limit is the SIZE advertised (Config.MaxMessageSize) and
//     applies to the message as stored. MAIL with a larger SIZE= is
//     refused at once (552 5.3.4, RFC 1870 §6.1); a message that grows
//     past the limit is read to its end and discarded, then refused with
//     552 5.3.4; the session goes on. A BDAT chunk past the limit is
//     refused at once and the transaction fails.
//   - Bodies are kept in memory up to 128 KiB, beyond that in a temporary
//     file in Config.SpoolDir (FromConfig: <data_dir>/spool),
//     removed after delivery. Durability is
//     Delivery's business: it replies only after its durable commit.
//   - A full disk (README "Storage") is 452 4.3.1 (RFC 3463 §3.5, RFC
//     5321 §4.2.2): at MAIL when the declared SIZE does not fit above
//     the free-space floor (Config.Space, RFC 1870 §6.1) or the floor is
//     passed, again at DATA and the first BDAT, and when the spool file
//     or Delivery's store cannot be written.
//   - Command lines may end in CR LF or a bare LF. A line longer than
//     Config.MaxLineLength (2048 octets with CR LF by default: RFC 5321
//     §4.5.3.1.4 requires at least 512, and extension parameters make
//     lines longer) is read to its end and refused with 500 5.5.2; the
//     session goes on. Text lines of DATA are not limited in length.
//   - Bad commands (unknown, syntax, bad arguments, out of sequence, too
//     long) are counted; the one after Config.MaxBadCommands gets 421
//     4.7.0 instead of its reply and the connection is closed. DATA or
//     BDAT without an accepted recipient (554 5.5.1 in SMTP, 503 in LMTP
//     as RFC 2033 §4.2 says) and BDAT chunks still in the pipeline after a
//     failed BDAT (503 5.5.1, RFC 3030 §2) are not counted: a pipelining
//     client cannot avoid them. Refused recipients are not bad commands.
//   - MAIL parameters are accepted after HELO too. Duplicate parameters
//     are refused (501 5.5.4), unknown ones get 555 5.5.4 (RFC 5321
//     §4.1.1.11), BODY=BINARYMIME too, because it is not offered.
//   - A UTF-8 address in MAIL or RCPT without SMTPUTF8 on MAIL gets 553
//     5.6.7 (RFC 6531 §3.5).
//   - "<Postmaster>" without a domain (any case) becomes
//     postmaster@Config.Hostname; Delivery decides where it goes. Other
//     addresses are parsed by mailaddr.ParsePath and passed as written:
//     odd forms (percent hack, quoted "@", bang paths, literals) are
//     local parts or domains that Delivery judges.
//   - Refused recipients (5xx) are counted per session and per client
//     address across sessions (Config.RcptErrors, rcptguard.go: Postfix's
//     soft and hard error limits): past the soft limit each refusal is
//     delayed; at the hard limit the next RCPT, valid or not, gets 421
//     4.7.0 and the connection is closed. A client's count decays, and
//     the table of clients is bounded.
//   - Timeouts are deadlines (RFC 5321 §4.5.3.2 sets minimums): a command
//     line must arrive within Config.CommandTimeout of the wait's start;
//     the data of DATA or of one BDAT chunk within Config.DataTimeout plus
//     a second per Config.MinDataRate octets received. A client that
//     trickles gets 421 4.4.2 and is disconnected.
//   - Recipients past Config.MaxRecipients get 452 4.5.3, and the
//     transaction goes on with those accepted. A recipient given twice is
//     passed twice (LMTP owes one reply per accepted RCPT).
//   - SMTP replies once after the data; Delivery is all or nothing there,
//     and if its replies differ the first failure is sent. LMTP replies
//     once per accepted recipient, in RCPT order.
//   - STARTTLS (RFC 3207 §4.2) forgets the EHLO name and the transaction;
//     octets the client sent after the STARTTLS line and before the
//     handshake are discarded, never executed (CVE-2011-0411).
//   - Replies are flushed just before the server would wait for input,
//     so a pipelined batch gets its replies in one write, in order.
//   - Connections over Config.MaxConnections, or over
//     Config.MaxConnectionsPerIP from one address (or over the limiters
//     of Config.Limits, shared with other listeners), get 421 4.7.0 and
//     are closed; on an implicit-TLS listener the 421 comes after the
//     TLS handshake. Unix socket peers count in the total only.
//   - The TLS handshake (implicit, or after STARTTLS) must be over within
//     Config.HandshakeTimeout.
//   - Shutdown: idle sessions get 421 4.3.2 at once; a session in a
//     transaction may finish it and then gets 421 4.3.2 at its next
//     command; when Shutdown's context ends the rest are closed.
//   - Logs: connect and disconnect at debug level; one info line per
//     message accepted or refused after its data (queue ID, sender,
//     recipients, size, outcome, reason); one per refused recipient for
//     the first five of a session, then one line at the end of the
//     session that counts them all, so a harvesting session writes a
//     bounded log.
//     Message bodies are never logged, nor command lines beyond their
//     verb and the envelope addresses.
package smtpd
