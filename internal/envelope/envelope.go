package envelope

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Envelope is one SMTP/LMTP transaction as the protocol layer saw it.
type Envelope struct {
	// ID names the transaction: the client is told it ("250 ... queued
	// as ID"), the Received field carries it, and every log line about
	// the message has it as msg_id (docs/flow.md "Tracing a message").
	ID         string           // obs.NewID
	Conn       string           // the session's connection ID in logs ("conn"), or ""
	From       mailaddr.Address // zero for the null reverse-path <>
	Recipients []Recipient

	// MAIL FROM parameters (RFC 5321 §4.1.1.2 esmtp-param).
	Size     int64  // SIZE= declared by the client (RFC 1870 §4), 0 if none
	Body     string // BODY: "7BIT", "8BITMIME" (RFC 6152 §2); "" = not given
	SMTPUTF8 bool   // SMTPUTF8 (RFC 6531 §3.4)
	Ret      string // DSN RET: "FULL", "HDRS" or "" (RFC 3461 §4.3)
	EnvID    string // DSN ENVID, xtext-decoded (RFC 3461 §4.4)
	// RequireTLS is the REQUIRETLS parameter (RFC 8689 §2): the message
	// may be relayed only over TLS that MTA-STS or DANE validated.
	// smtpd accepts it only in a TLS session.
	RequireTLS bool

	// TLSOptional is the "TLS-Required: No" header field (RFC 8689 §3):
	// the sender asks that the recipient's MTA-STS and DANE policies be
	// ignored when the message is relayed. Delivery sets it from the
	// header before queueing; it is never set together with RequireTLS,
	// which overrides the field (§4.1).
	TLSOptional bool

	// Held queues the message's remote copies held: not sent until the
	// operator releases them (the content filter rejected submitted
	// mail; README "Spam and abuse"). Set by delivery, never by a client.
	Held bool

	// The session the transaction came in on.
	Helo       string               // EHLO/HELO/LHLO argument
	ClientIP   netip.Addr           // remote address (invalid for a unix socket)
	ClientHost string               // verified reverse DNS name, or ""
	TLS        *tls.ConnectionState // nil without TLS
	// Protocol is the RFC 3848 "with" keyword: SMTP, ESMTP, ESMTPS, LMTP,
	// LMTPS, ESMTPA, ESMTPSA.
	Protocol string
	// AuthAccount is the authenticated user (submission), or "".
	AuthAccount string
	// Listener names the listener the transaction came in on ("smtp",
	// "submission", "submissions", "lmtp").
	Listener string
	// PerRecipient asks for one outcome per recipient (LMTP, RFC 2033
	// §4.2). Without it (SMTP) the delivery is all or nothing: the one
	// reply after DATA is true for every recipient.
	PerRecipient bool
	// Screening is the verdict of connection screening on the MX
	// (screening.go); nil where the client was not screened.
	Screening *Screening

	Received time.Time // when the transaction started (for Received:)
}

// Recipient is one accepted RCPT TO with its parameters.
type Recipient struct {
	Addr   mailaddr.Address
	Notify []string // DSN NOTIFY values (RFC 3461 §4.1), upper case
	ORcpt  string   // DSN ORCPT (RFC 3461 §4.2), "addr-type;address" decoded
}

// LogAttrs are the fields that name the transaction in a log line
// (docs/flow.md "Tracing a message"): msg_id, and the session's listener
// and conn, and account after AUTH, when known.
func (e *Envelope) LogAttrs() []any {
	a := []any{"msg_id", e.ID}
	for _, kv := range [...][2]string{{"listener", e.Listener}, {"conn", e.Conn}, {"account", e.AuthAccount}} {
		if kv[1] != "" {
			a = append(a, kv[0], kv[1])
		}
	}
	return a
}

// ReversePath is the sender as the Return-Path field and the queue write
// it: "" for the null reverse-path (RFC 5321 §4.5.5).
func (e *Envelope) ReversePath() string {
	if e.From.IsZero() {
		return ""
	}
	return e.From.String()
}
