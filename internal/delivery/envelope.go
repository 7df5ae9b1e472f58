package delivery

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Envelope is one SMTP/LMTP transaction as the protocol layer saw it.
type Envelope struct {
	ID         string           // queue ID (obs.NewID), in logs and the Received header
	From       mailaddr.Address // zero for the null reverse-path <>
	Recipients []Recipient

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
	// "submission", "submissions", "lmtp"); mail on ListenerMX is
	// authenticated (inbound.go).
	Listener string

	SMTPUTF8 bool   // MAIL FROM ... SMTPUTF8 (RFC 6531)
	Body     string // "7BIT", "8BITMIME" (RFC 6152); "" = not given
	Size     int64  // SIZE= declared by the client (RFC 1870), 0 if none
	EnvID    string // DSN ENVID (RFC 3461 §4.4), xtext-decoded
	Ret      string // DSN RET: "FULL", "HDRS" or ""

	// PerRecipient asks for one outcome per recipient (LMTP, RFC 2033).
	// Without it (SMTP) the delivery is all or nothing: either every
	// recipient gets the message or none does, so the one reply after DATA
	// is true for all of them and a retry cannot duplicate.
	PerRecipient bool

	Received time.Time // when the transaction started (for Received:)

	auth inboundAuth // set by the inbound checks (inbound.go)
}

// Recipient is one accepted RCPT TO.
type Recipient struct {
	Addr   mailaddr.Address
	Notify []string // DSN NOTIFY values (RFC 3461 §4.1), upper case
	ORcpt  string   // DSN ORCPT (RFC 3461 §4.2), "addr-type;address" decoded
}
