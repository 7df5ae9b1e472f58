package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/spfcheck"
	"github.com/petrelmail/petrel/internal/store"
)

var errNoGlobalScripts = errors.New("no directory of global scripts (config sieve.global_dir)")

// SieveFailureSubject is the subject of the report on a failed script.
const SieveFailureSubject = "Your Sieve filter failed"

func reportedKey(addr, hash string) string {
	return "sieve-failure/" + url.PathEscape(strings.ToLower(addr)) + "/" + hash
}

// reportFailure tells the account that its script failed: once per
// version of the script (its hash), recorded in the store's KV before the
// report is stored, so that two nodes never both report. The report goes
// straight into the account's INBOX, from the null sender.
func (p Sieve) reportFailure(ctx context.Context, id store.AccountID, addr string, script sievescripts.Loaded, failure error) {
	if p.Store == nil || script.Hash == "" {
		return
	}
	log := p.logger()
	err := p.Store.KVCreate(ctx, reportedKey(addr, script.Hash), []byte(time.Now().UTC().Format(time.RFC3339)))
	if store.IsKind(err, store.KindExists) {
		return
	}
	if err != nil {
		log.Warn("sieve: failure report not recorded; not sent", "account", addr, "err", err)
		return
	}
	body := failureReport(p.Hostname, addr, script.Name, failure.Error(), time.Now())
	res, err := p.Store.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: id}})
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	if err != nil {
		log.Warn("sieve: failure report not stored", "account", addr, "err", err)
		return
	}
	log.Info("sieve: failure reported to the account", "account", addr, "script", script.Name)
}

// failureReport is the message that tells the account its script failed.
func failureReport(hostname, addr, name, failure string, now time.Time) []byte {
	var b strings.Builder
	b.WriteString("Return-Path: <>\r\n")
	fmt.Fprintf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", hostname)
	fmt.Fprintf(&b, "To: <%s>\r\nSubject: %s\r\n", addr, SieveFailureSubject)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s@%s>\r\n", now.Format(time.RFC1123Z), obs.NewID(), hostname)
	b.WriteString("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	fmt.Fprintf(&b, "Your Sieve script %q failed on a message delivered to you:\r\n\r\n", oneLineText(name))
	fmt.Fprintf(&b, "    %s\r\n\r\n", oneLineText(failure))
	b.WriteString("The message was kept: it is in your INBOX (or where your mail\r\n" +
		"went before the script). Later messages are kept the same way until\r\n" +
		"the script is fixed; this report is sent once per version of the script.\r\n")
	return []byte(b.String())
}

func oneLineText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// refusal is the report to the sender of a copy that the script rejected
// while other recipients took the message (RFC 5429 §2.1: a DSN when the
// refusal cannot be an SMTP reply). It goes only to a reverse path that
// is vouched for (reportable), else it would be backscatter to a forged
// sender, and not when the recipient asked for no failure report (RFC
// 3461 §4.1: NOTIFY without FAILURE).
func (p Sieve) refusal(run *sieveRun, raw []byte, reason string) (Outgoing, bool) {
	e, log := run.m.Envelope, p.logger()
	switch {
	case !wantsFailureReport(run.rcpt.Notify):
		return Outgoing{}, false
	case !reportable(run.m):
		log.Info("sieve: rejected copy dropped; no report to a sender not vouched for", "account", run.acct.Address)
		return Outgoing{}, false
	case p.Refusal == nil:
		log.Warn("sieve: rejected copy dropped; no report writer", "account", run.acct.Address)
		return Outgoing{}, false
	}
	body := p.Refusal(p.Hostname, e, run.rcpt.Recipient, reason, headerSection(raw), run.now)
	return Outgoing{Envelope: envelope.Envelope{ID: obs.NewID(), Recipients: []envelope.Recipient{{Addr: e.From}},
		Received: run.now}, Body: body, Sign: true}, true
}

// reportable reports whether a report may go to m's reverse path: not
// null (RFC 5321 §4.5.5), and vouched for: the message was submitted (an
// authenticated account sent it) or SPF passed for the MAIL FROM identity
// (RFC 7208 §2.4), and no check judged it junk (DMARC quarantine, the
// content filter).
func reportable(m *Message) bool {
	e := m.Envelope
	switch {
	case e.From.IsZero():
		return false
	case m.Auth.Action == msgauth.Junk || m.Spam.Action == rspamd.Junk:
		return false
	}
	return e.AuthAccount != "" || (m.Auth.SPF.Result == spfcheck.Pass && m.Auth.SPF.Identity == spfcheck.MailFrom)
}

// wantsFailureReport reports whether a recipient's NOTIFY list asks for
// a failure report: no NOTIFY, or one with FAILURE (RFC 3461 §4.1).
func wantsFailureReport(notify []string) bool {
	if len(notify) == 0 {
		return true
	}
	return slices.ContainsFunc(notify, func(n string) bool { return strings.EqualFold(n, "FAILURE") })
}

// headerSection is the header of raw, without the empty line.
func headerSection(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[:i+2]
	}
	return raw
}
