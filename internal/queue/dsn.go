package queue

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/store"
)

// reportItem is one recipient in a delivery status report.
type reportItem struct {
	rcpt   store.QueuedRcpt
	action string
}

// report is everything a DSN (RFC 3464) is built from.
type report struct {
	hostname string
	msg      *store.QueuedMessage
	items    []reportItem
	now      time.Time
	until    time.Time // Will-Retry-Until of delayed recipients
	// original is the returned content: the header section, or the whole
	// message when full.
	original []byte
	full     bool
}

const dsnDate = time.RFC1123Z

// build writes the report as a multipart/report message (RFC 6522) with
// report-type=delivery-status, in CRLF form.
func (r *report) build() []byte {
	var b strings.Builder
	boundary := r.msg.ID + "." + fmt.Sprint(r.now.Unix()) + "/" + r.hostname
	r.headers(&b, boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary)
	r.human(&b)
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n", boundary)
	r.status(&b)
	ctype, desc := "text/rfc822-headers", "Undelivered Message Headers"
	if r.full {
		ctype, desc = "message/rfc822", "Undelivered Message"
	}
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Description: %s\r\nContent-Type: %s\r\n\r\n", boundary, desc, ctype)
	b.Write(r.original)
	if len(r.original) > 0 && !strings.HasSuffix(string(r.original), "\r\n") {
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return []byte(b.String())
}

func (r *report) subject() string {
	switch r.worst() {
	case actionFailed:
		return "Undelivered Mail Returned to Sender"
	case actionDelayed:
		return "Delayed Mail (still being retried)"
	}
	return "Successful Mail Delivery Report"
}

// worst is the most serious action of the report.
func (r *report) worst() string {
	w := actionRelayed
	for _, it := range r.items {
		if it.action == actionFailed {
			return actionFailed
		}
		if it.action == actionDelayed {
			w = actionDelayed
		}
	}
	return w
}

func (r *report) headers(b *strings.Builder, boundary string) {
	fmt.Fprintf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", r.hostname)
	fmt.Fprintf(b, "To: <%s>\r\n", r.msg.From)
	fmt.Fprintf(b, "Subject: %s\r\n", r.subject())
	fmt.Fprintf(b, "Date: %s\r\n", r.now.Format(dsnDate))
	fmt.Fprintf(b, "Message-ID: <%d.%s@%s>\r\n", r.now.UnixNano(), r.msg.ID, r.hostname)
	b.WriteString("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(b, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n", boundary)
	b.WriteString("This is a MIME-encapsulated message.\r\n\r\n")
}

// human is the text part: what happened to which recipient, and why.
func (r *report) human(b *strings.Builder) {
	fmt.Fprintf(b, "This is the mail system at host %s.\r\n\r\n", r.hostname)
	switch r.worst() {
	case actionFailed:
		b.WriteString("I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n")
	case actionDelayed:
		fmt.Fprintf(b, "Your message could not be delivered for %s.\r\nIt will be retried until it is %s old.\r\n",
			roundAge(r.now.Sub(r.msg.Arrived)), roundAge(r.until.Sub(r.msg.Arrived)))
	default:
		b.WriteString("Your message was successfully delivered to the destination(s)\r\nlisted below.\r\n")
	}
	b.WriteString("\r\n")
	for _, it := range r.items {
		why := it.rcpt.LastError
		if it.rcpt.RemoteMTA != "" {
			why = "host " + it.rcpt.RemoteMTA + " said: " + why
		}
		b.WriteString(wrap(fmt.Sprintf("<%s>: %s: %s", it.rcpt.Addr, it.action, why), "    "))
		b.WriteString("\r\n")
	}
	if r.requireTLSFailed() {
		b.WriteString(requireTLSText)
	}
}

// requireTLSText explains a REQUIRETLS failure in a report (README
// "REQUIRETLS").
const requireTLSText = "\r\nYour message was sent with REQUIRETLS (RFC 8689): it may only be relayed\r\n" +
	"over TLS to a mail server whose certificate an MTA-STS policy or a DANE\r\n" +
	"(DNSSEC-signed TLSA) record of the recipient's domain vouches for, and\r\n" +
	"which supports REQUIRETLS itself. No mail server of the domain above met\r\n" +
	"these conditions, so the message was not sent there. Ask the recipient's\r\n" +
	"mail administrator to publish MTA-STS or DANE and to support REQUIRETLS,\r\n" +
	"or send the message without REQUIRETLS.\r\n"

// requireTLSFailed reports whether a recipient failed because of the
// message's REQUIRETLS: 5.7.10 (encryption needed, RFC 5248) or 5.7.30
// (REQUIRETLS support required, RFC 8689).
func (r *report) requireTLSFailed() bool {
	if !r.msg.RequireTLS {
		return false
	}
	for _, it := range r.items {
		if it.action == actionFailed && (it.rcpt.Status == "5.7.10" || it.rcpt.Status == "5.7.30") {
			return true
		}
	}
	return false
}

func roundAge(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Hour).String()
	}
	return d.Round(time.Minute).String()
}

// status is the message/delivery-status part (RFC 3464 §2.2, §2.3).
func (r *report) status(b *strings.Builder) {
	fmt.Fprintf(b, "Reporting-MTA: dns; %s\r\n", r.hostname)
	if r.msg.EnvID != "" {
		fmt.Fprintf(b, "Original-Envelope-Id: %s\r\n", oneLine(r.msg.EnvID))
	}
	fmt.Fprintf(b, "Arrival-Date: %s\r\n", r.msg.Arrived.Format(dsnDate))
	for _, it := range r.items {
		rc := it.rcpt
		fmt.Fprintf(b, "\r\nFinal-Recipient: rfc822; %s\r\n", rc.Addr)
		if rc.ORcpt != "" {
			typ, addr, _ := strings.Cut(rc.ORcpt, ";")
			fmt.Fprintf(b, "Original-Recipient: %s; %s\r\n", strings.TrimSpace(typ), oneLine(strings.TrimSpace(addr)))
		}
		fmt.Fprintf(b, "Action: %s\r\nStatus: %s\r\n", it.action, rc.Status)
		if rc.RemoteMTA != "" {
			fmt.Fprintf(b, "Remote-MTA: dns; %s\r\n", rc.RemoteMTA)
		}
		if rc.LastError != "" && rc.RemoteMTA != "" {
			fmt.Fprintf(b, "%s\r\n", wrap("Diagnostic-Code: smtp; "+oneLine(rc.LastError), " "))
		} else if rc.LastError != "" {
			fmt.Fprintf(b, "%s\r\n", wrap("Diagnostic-Code: X-Petrel; "+oneLine(rc.LastError), " "))
		}
		if !rc.LastAttempt.IsZero() {
			fmt.Fprintf(b, "Last-Attempt-Date: %s\r\n", rc.LastAttempt.Format(dsnDate))
		}
		if it.action == actionDelayed {
			fmt.Fprintf(b, "Will-Retry-Until: %s\r\n", r.until.Format(dsnDate))
		}
	}
}

// oneLine keeps a field value on one line, of printable US-ASCII: a
// remote server's reply may hold any octet, and a report is sent as
// 7-bit text whose delivery-status part is ASCII (RFC 3464 §2.1.1); every
// other octet becomes "?".
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
			if c == '\r' || c == '\n' || c == '\t' {
				b[i] = ' '
			}
		}
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// foldAt is the length a report's lines are folded at, well within the
// 998 octets of RFC 5322 §2.1.1.
const foldAt = 78

// wrap folds a line of words at spaces into lines of at most foldAt
// octets, each continued line starting with indent (" " folds a
// header-style field: RFC 5322 §2.2.3, RFC 3464 §2.1.2); a word longer
// than a line is cut.
func wrap(line, indent string) string {
	var b strings.Builder
	n := 0 // the octets on the current line
	for _, w := range strings.Fields(line) {
		for _, c := range chunks(w, foldAt-len(indent)) {
			switch {
			case b.Len() == 0:
			case n+1+len(c) <= foldAt:
				b.WriteByte(' ')
				n++
			default:
				b.WriteString("\r\n" + indent)
				n = len(indent)
			}
			b.WriteString(c)
			n += len(c)
		}
	}
	return b.String()
}

// chunks cuts w into pieces of at most size octets.
func chunks(w string, size int) []string {
	var out []string
	for len(w) > size {
		out = append(out, w[:size])
		w = w[size:]
	}
	return append(out, w)
}

// maxReturned bounds the original content returned in a report.
const maxReturned = 10 << 20

// readOriginal reads the header section of a message (up to and without
// the empty line), or the whole message when full (up to maxReturned,
// else only the header section).
func readOriginal(r io.Reader, size int64, full bool) ([]byte, bool, error) {
	if full && size <= maxReturned {
		data, err := io.ReadAll(io.LimitReader(r, maxReturned))
		return data, true, err
	}
	br := bufio.NewReader(io.LimitReader(r, 1<<20))
	var out []byte
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 || strings.TrimRight(string(line), "\r\n") == "" {
			if err == io.EOF {
				err = nil
			}
			return out, false, err
		}
		out = append(out, line...)
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, false, err
		}
	}
}

// Refusal is the report (RFC 3464, multipart/report of RFC 6522) on a
// message accepted for several recipients and refused for one of them
// after the transaction, by that recipient's Sieve reject (RFC 5429
// §2.1): Action failed, Status 5.7.1, the reason, and header, the
// message's header section, returned. It is built as the queue's bounces
// are; delivery sends it from the null sender to env's reverse path.
func Refusal(hostname string, env *envelope.Envelope, rcpt envelope.Recipient, reason string, header []byte, now time.Time) []byte {
	msg := &store.QueuedMessage{ID: env.ID, From: env.ReversePath(), EnvID: env.EnvID, Arrived: env.Received}
	r := report{hostname: hostname, msg: msg, now: now, original: header,
		items: []reportItem{{action: actionFailed,
			rcpt: store.QueuedRcpt{Addr: rcpt.Addr.String(), ORcpt: rcpt.ORcpt, Status: "5.7.1", LastError: reason}}}}
	return r.build()
}
