package delivery

import (
	"context"
	"log/slog"
	netmail "net/mail"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/vacation"
)

// Vacationer decides whether a vacation action is answered and writes
// the reply (package vacation: RFC 5230, RFC 6131, RFC 3834). The reply
// is nil or has Skip set when none is to be sent.
type Vacationer interface {
	Reply(ctx context.Context, req vacation.Request) (*vacation.Reply, error)
}

// SendAs is the submission sender rule (RFC 6409 §6.1;
// accounts.Service.MaySendAs): whether the account may send as address.
type SendAs interface {
	MaySendAs(ctx context.Context, account, address string) (bool, error)
}

// vacationFrom keeps a vacation's :from only when the account may send
// as its address, as it could when submitting: the reply is DKIM-signed
// for the From domain, so a script must not sign as somebody else. A
// :from refused (or that does not parse) gives the address the message
// was delivered to (RFC 5230 §4.4's default).
func (p Sieve) vacationFrom(ctx context.Context, acct store.Account, v *sieve.VacationReply, log *slog.Logger, attrs []any) *sieve.VacationReply {
	if v.From == "" {
		return v
	}
	ok := false
	if a, err := netmail.ParseAddress(v.From); err == nil && p.SendAs != nil {
		ok, err = p.SendAs.MaySendAs(ctx, acct.Address, a.Address)
		if err != nil {
			log.Warn("vacation: :from not checked; the recipient address is used", append(attrs, "err", err)...)
			ok = false
		}
	}
	if ok {
		return v
	}
	log.Info("vacation: :from is not an address of the account; the recipient address is used", attrs...)
	c := *v
	c.From = ""
	return &c
}

// vacationReply is the reply to send for a vacation action of the
// account's script on the copy for rcpt (raw is the copy as the script
// saw it), or nil when none is to be sent. The reply goes to the reverse
// path with a null reverse path of its own (RFC 5230 §5.1, RFC 3834
// §3.3), DKIM-signed for its From domain (README "Filters and
// vacation"). A failure is logged and sends nothing: it never changes
// the delivery of the message.
func (p Sieve) vacationReply(ctx context.Context, m *Message, rcpt Rcpt, acct store.Account, raw []byte, v *sieve.VacationReply) *Outgoing {
	if p.Vacation == nil || v == nil {
		return nil
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attrs := append(m.Envelope.LogAttrs(), "account", acct.Address)
	v = p.vacationFrom(ctx, acct, v, log, attrs)
	rep, err := p.Vacation.Reply(ctx, vacation.Request{Message: raw, ReversePath: m.Envelope.ReversePath(),
		Recipient: rcpt.Addr.String(), Account: acct.Address, Action: v})
	if err != nil {
		log.Warn("vacation: no reply sent", append(attrs, "err", err)...)
		return nil
	}
	if rep == nil || rep.Skip != "" {
		if rep != nil {
			log.Info("vacation: no reply", append(attrs, "rule", rep.Skip)...)
		}
		return nil
	}
	to, err := mailaddr.Parse(rep.To)
	if err != nil || to.IsZero() {
		log.Warn("vacation: no reply sent: the reverse path does not parse", append(attrs, "err", err)...)
		return nil
	}
	env := envelope.Envelope{Recipients: []envelope.Recipient{{Addr: to}}, Received: time.Now(),
		SMTPUTF8: !to.IsASCII(), Body: bodyType(rep.Body)}
	log.Info("vacation: reply", attrs...)
	return &Outgoing{Envelope: env, Body: rep.Body, Sign: true}
}

// bodyType is the BODY parameter for a message (RFC 6152): "8BITMIME"
// when it has octets above 127, else "" (7BIT).
func bodyType(b []byte) string {
	for _, c := range b {
		if c >= 0x80 {
			return "8BITMIME"
		}
	}
	return ""
}
