package smtpreply

import "strings"

// The replies Petrel sends, by situation. Each call returns a new value.

// OK is 250 2.0.0 with the given text.
func OK(text string) *Reply { return New(250, Enhanced{2, 0, 0}, "%s", text) }

// Queued is the 250 after DATA (RFC 5321 §4.1.1.4): the message is stored.
func Queued(id string) *Reply { return New(250, Enhanced{2, 0, 0}, "OK: queued as %s", id) }

// SenderOK and RecipientOK answer MAIL and RCPT (RFC 3463 X.1.0 / X.1.5).
func SenderOK() *Reply    { return New(250, Enhanced{2, 1, 0}, "Sender OK") }
func RecipientOK() *Reply { return New(250, Enhanced{2, 1, 5}, "Recipient OK") }

// StartData is the 354 after DATA.
func StartData() *Reply { return New(354, Enhanced{}, "Start mail input; end with <CRLF>.<CRLF>") }

// NoSuchUser: 550 5.1.1, the mailbox does not exist (RFC 3463 X.1.1).
func NoSuchUser(addr string) *Reply {
	return New(550, Enhanced{5, 1, 1}, "<%s>: Recipient address rejected: no such mailbox here", addr)
}

// RelayDenied: 554 5.7.1, the domain is not ours and the client may not
// relay (RFC 3463 X.7.1).
func RelayDenied(addr string) *Reply {
	return New(554, Enhanced{5, 7, 1}, "<%s>: Relay access denied", addr)
}

// RoutingLoop: 550 5.4.6, alias expansion loops (RFC 3463 X.4.6).
func RoutingLoop(addr string) *Reply {
	return New(550, Enhanced{5, 4, 6}, "<%s>: Alias expansion loops", addr)
}

// ForwardingUnavailable: 451 4.3.5, an alias points to a remote address
// and there is no outbound queue to take it: the server is not set up for
// it (RFC 3463 X.3.5 "System incorrectly configured").
func ForwardingUnavailable(addr string) *Reply {
	return New(451, Enhanced{4, 3, 5}, "<%s>: Forwarding to remote addresses is not available; try again later", addr)
}

// TooManyRecipients: 452 4.5.3 (RFC 5321 §4.5.3.1.10, RFC 3463 X.5.3).
func TooManyRecipients() *Reply { return New(452, Enhanced{4, 5, 3}, "Too many recipients") }

// MailboxFull: 452 4.2.2, the recipient is over quota (RFC 3463 X.2.2).
func MailboxFull(addr string) *Reply {
	return New(452, Enhanced{4, 2, 2}, "<%s>: Mailbox full", addr)
}

// MessageExceedsQuota: 552 5.2.2, the message alone is larger than the
// recipient's whole quota: retrying cannot help.
func MessageExceedsQuota(addr string) *Reply {
	return New(552, Enhanced{5, 2, 2}, "<%s>: Message is larger than the mailbox quota", addr)
}

// MessageTooBig: 552 5.3.4 (RFC 1870 §6.1, RFC 3463 X.3.4).
func MessageTooBig(max int64) *Reply {
	return New(552, Enhanced{5, 3, 4}, "Message size exceeds fixed limit of %d bytes", max)
}

// LocalError: 451 4.3.0, a temporary internal failure; ref lets the
// administrator find the log line (never the Go error text itself).
func LocalError(ref string) *Reply {
	return New(451, Enhanced{4, 3, 0}, "Local error in processing, try again later (ref %s)", ref)
}

// InsufficientStorage: 452 4.3.1, the server's disk is full or below its
// free-space floor (RFC 5321 §4.2.2 "insufficient system storage", RFC
// 3463 §3.5 X.3.1 "mail system full", RFC 1870 §6.1 at MAIL): temporary,
// the sender keeps the message and retries. ref, when not empty, names
// the log line (never the Go error text itself).
func InsufficientStorage(ref string) *Reply {
	if ref == "" {
		return New(452, Enhanced{4, 3, 1}, "Insufficient system storage, try again later")
	}
	return New(452, Enhanced{4, 3, 1}, "Insufficient system storage, try again later (ref %s)", ref)
}

// BadSyntax: 500 5.5.2, unrecognised command or bad syntax.
func BadSyntax(text string) *Reply { return New(500, Enhanced{5, 5, 2}, "%s", text) }

// BadArguments: 501 5.5.4, bad parameters (RFC 3463 X.5.4).
func BadArguments(text string) *Reply { return New(501, Enhanced{5, 5, 4}, "%s", text) }

// BadSequence: 503 5.5.1, command out of sequence.
func BadSequence(text string) *Reply { return New(503, Enhanced{5, 5, 1}, "%s", text) }

// NotImplemented: 502 5.5.1.
func NotImplemented(cmd string) *Reply {
	return New(502, Enhanced{5, 5, 1}, "%s command not implemented", cmd)
}

// LineTooLong: 500 5.5.2 for a command line over the limit (RFC 5321
// §4.5.3.1.4); the session goes on.
func LineTooLong() *Reply { return New(500, Enhanced{5, 5, 2}, "Line too long") }

// TooManyErrors: 421 4.7.0, the client sent too many bad commands.
func TooManyErrors(host string) *Reply {
	return New(421, Enhanced{4, 7, 0}, "%s Too many errors, closing connection", host)
}

// TooManyRejectedRecipients: 421 4.7.0, the client had too many
// recipients refused (address harvesting); it is disconnected.
func TooManyRejectedRecipients(host string) *Reply {
	return New(421, Enhanced{4, 7, 0}, "%s Too many rejected recipients, closing connection", host)
}

// TooManyConnections: 421 4.7.0 at connect time.
func TooManyConnections(host string) *Reply {
	return New(421, Enhanced{4, 7, 0}, "%s Too many connections, try again later", host)
}

// Timeout: 421 4.4.2 (RFC 3463 X.4.2).
func Timeout(host string) *Reply {
	return New(421, Enhanced{4, 4, 2}, "%s Timeout, closing connection", host)
}

// ShuttingDown: 421 4.3.2 (RFC 3463 X.3.2: system not accepting messages).
func ShuttingDown(host string) *Reply {
	return New(421, Enhanced{4, 3, 2}, "%s Service shutting down, closing connection", host)
}

// Bye answers QUIT.
func Bye() *Reply { return New(221, Enhanced{2, 0, 0}, "Bye") }

// ContentRejected: 554 5.6.0, the content is not acceptable (e.g. NUL).
func ContentRejected(text string) *Reply { return New(554, Enhanced{5, 6, 0}, "%s", text) }

// MessageLineTooLong: 554 5.6.0, a submitted message has a line over 998
// octets, which SMTP may not carry on (RFC 5321 §4.5.3.1.6, RFC 5322
// §2.1.1).
func MessageLineTooLong() *Reply {
	return ContentRejected("Message has a line longer than 998 octets (RFC 5322 §2.1.1); encode the body (quoted-printable or base64) and fold long header fields")
}

// HeaderTooLarge: 554 5.6.0, a message whose header section does not end
// within the limit (256 KiB, README "Limits"), which Petrel will not
// check in part.
func HeaderTooLarge() *Reply {
	return ContentRejected("Message header too large")
}

// HeaderMalformed: 554 5.6.0, a submitted message with a header line that
// is no field: a name that is not printable US-ASCII or no colon (RFC 5322
// §3.6.8), or a continuation line at the top (§2.2.3).
func HeaderMalformed() *Reply {
	return ContentRejected("Message header has a malformed field (RFC 5322 §2.2)")
}

// NeedsSMTPUTF8: 553 5.6.7, a UTF-8 address without the SMTPUTF8
// parameter (RFC 6531 §3.5).
func NeedsSMTPUTF8() *Reply {
	return New(553, Enhanced{5, 6, 7}, "UTF-8 address requires the SMTPUTF8 parameter")
}

// BadAddress: 501 5.1.3, the address is syntactically invalid (RFC 3463
// X.1.3).
func BadAddress(text string) *Reply { return New(501, Enhanced{5, 1, 3}, "%s", text) }

// Greeting is the 220 banner (RFC 5321 §4.3.1); proto is "ESMTP" or "LMTP".
// Like the EHLO reply, it carries no enhanced code (RFC 2034 §3).
func Greeting(host, proto string) *Reply {
	return New(220, Enhanced{}, "%s %s Petrel", host, proto)
}

// Hello answers HELO (RFC 5321 §4.1.1.1).
func Hello(host string) *Reply { return New(250, Enhanced{}, "%s", host) }

// Extensions answers EHLO or LHLO: the host name, then one keyword per line
// (RFC 5321 §4.1.1.1).
func Extensions(host string, keywords []string) *Reply {
	return New(250, Enhanced{}, "%s", strings.Join(append([]string{host}, keywords...), "\n"))
}

// Help answers HELP (RFC 5321 §4.1.1.8).
func Help() *Reply {
	return New(214, Enhanced{2, 0, 0}, "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP")
}

// CannotVerify answers VRFY: 252 2.5.0 (RFC 5321 §3.5.3, §7.3).
func CannotVerify() *Reply {
	return New(252, Enhanced{2, 5, 0}, "Cannot VRFY user, but will accept message and attempt delivery")
}

// ReadyForTLS answers STARTTLS (RFC 3207 §4).
func ReadyForTLS() *Reply { return New(220, Enhanced{2, 0, 0}, "Ready to start TLS") }

// NoValidRecipients: 554 5.5.1 to DATA or BDAT without an accepted
// recipient (RFC 5321 §3.3).
func NoValidRecipients() *Reply { return New(554, Enhanced{5, 5, 1}, "No valid recipients") }

// ParamNotImplemented: 555 5.5.4, a MAIL or RCPT parameter that is not
// recognised or not implemented (RFC 5321 §4.1.1.11, RFC 3463 X.5.4).
func ParamNotImplemented(text string) *Reply { return New(555, Enhanced{5, 5, 4}, "%s", text) }

// ChunkReceived answers a BDAT chunk that is not the last (RFC 3030 §2).
func ChunkReceived(n int64) *Reply { return New(250, Enhanced{2, 0, 0}, "%d octets received", n) }

// Delivered is an LMTP per-recipient success after DATA (RFC 2033 §4.2).
func Delivered(addr, id string) *Reply {
	return New(250, Enhanced{2, 0, 0}, "<%s> delivered as %s", addr, id)
}
