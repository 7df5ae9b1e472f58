package imapmsg

import (
	"bytes"

	"golang.org/x/net/idna"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// WriteEnvelope writes env as an IMAP ENVELOPE (RFC 9051 §7.5.2, §9
// envelope): date, subject, from, sender, reply-to, to, cc, bcc,
// in-reply-to and message-id. msgmeta has already applied the Sender and
// Reply-To defaults and keeps the strings as written (encoded words
// included), so they are written as they are. utf8 says the client may
// receive UTF-8 strings (UTF8=ACCEPT or IMAP4rev2); otherwise non-ASCII
// text is downgraded (see writeString, writeHost). A nil env is written
// with every member NIL.
func WriteEnvelope(w *bytes.Buffer, env *msgmeta.Envelope, utf8 bool) {
	if env == nil {
		env = &msgmeta.Envelope{}
	}
	w.WriteByte('(')
	writeNString(w, env.Date, utf8)
	w.WriteByte(' ')
	writeNString(w, env.Subject, utf8)
	for _, list := range [][]msgmeta.Address{env.From, env.Sender, env.ReplyTo, env.To, env.Cc, env.Bcc} {
		w.WriteByte(' ')
		writeAddresses(w, list, utf8)
	}
	w.WriteByte(' ')
	writeNString(w, env.InReplyTo, utf8)
	w.WriteByte(' ')
	writeNString(w, env.MessageID, utf8)
	w.WriteByte(')')
}

// writeAddresses writes an address list: "(" 1*address ")" / nil (RFC 9051
// §9 env-from etc.). Group markers are addresses like any other: msgmeta
// gives a group start a Mailbox without Host and a group end neither.
func writeAddresses(w *bytes.Buffer, list []msgmeta.Address, utf8 bool) {
	if len(list) == 0 {
		w.WriteString("NIL")
		return
	}
	w.WriteByte('(')
	for _, a := range list {
		w.WriteByte('(')
		writeNString(w, a.Name, utf8)
		w.WriteByte(' ')
		writeNString(w, a.Adl, utf8)
		w.WriteByte(' ')
		writeNString(w, a.Mailbox, utf8)
		w.WriteByte(' ')
		writeHost(w, a.Host, utf8)
		w.WriteByte(')')
	}
	w.WriteByte(')')
}

// writeHost writes an address's domain. For a client without UTF-8, an
// internationalized domain goes in its A-label form (RFC 5890 §2.3.2.1),
// which is the same domain; one that does not convert is downgraded like
// any other string.
func writeHost(w *bytes.Buffer, host string, utf8 bool) {
	if !utf8 && !isASCII(host) {
		if a, err := idna.Lookup.ToASCII(host); err == nil && isASCII(a) {
			host = a
		}
	}
	writeNString(w, host, utf8)
}
