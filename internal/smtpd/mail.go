package smtpd

import (
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// cmdMail starts a transaction (RFC 5321 §4.1.1.2).
func (s *session) cmdMail(arg string) *smtpreply.Reply {
	switch {
	case s.helo == "":
		return s.bad(smtpreply.BadSequence("Send " + s.helloVerb() + " first"))
	case s.tx != nil:
		return s.bad(smtpreply.BadSequence("Nested MAIL command"))
	}
	for _, ext := range s.cfg.Extensions {
		if r := ext.BeforeMail(s.state()); r != nil {
			return r
		}
	}
	if s.screenMail() {
		return nil
	}
	path, params, ok := splitPath(arg, "FROM:")
	if !ok {
		return s.bad(smtpreply.BadArguments("Syntax: MAIL FROM:<address> [parameters]"))
	}
	from, err := mailaddr.ParsePath(path) // strips a source route (§4.1.1.3)
	if err != nil {
		return s.bad(smtpreply.BadAddress("Bad sender address syntax"))
	}
	env := s.newEnvelope(from)
	if r := s.mailParams(env, params); r != nil {
		return r
	}
	if !from.IsASCII() && !env.SMTPUTF8 { // RFC 6531 §3.5
		return s.bad(smtpreply.NeedsSMTPUTF8())
	}
	if r := s.spaceRefusal(env.Size); r != nil { // RFC 1870 §6.1
		return r
	}
	if r := s.checkSender(env); r != nil {
		s.log.Info("sender rejected", "from", env.From.String(), "code", r.Code,
			"reason", reasonOf(r), "text", r.Text)
		return r
	}
	s.body.reset()
	s.mu.Lock()
	s.tx = &transaction{env: env}
	s.mu.Unlock()
	return smtpreply.SenderOK()
}

func (s *session) helloVerb() string {
	if s.cfg.LMTP {
		return "LHLO"
	}
	return "EHLO/HELO"
}

func (s *session) newEnvelope(from mailaddr.Address) *envelope.Envelope {
	return &envelope.Envelope{
		ID:           obs.NewID(),
		Conn:         s.id,
		From:         from,
		Helo:         s.helo,
		ClientIP:     s.ip,
		ClientHost:   s.clientHost(),
		TLS:          s.tls,
		Protocol:     s.protocol(),
		AuthAccount:  s.auth,
		Listener:     s.cfg.Name,
		PerRecipient: s.cfg.LMTP,
		Received:     time.Now(),
	}
}

// protocol is the RFC 3848 "with" keyword of the session.
func (s *session) protocol() string {
	p := s.proto
	if p == "SMTP" {
		return p // HELO: no extensions, no suffixes
	}
	if s.tls != nil {
		p += "S"
	}
	if s.auth != "" {
		p += "A"
	}
	return p
}

// cmdRcpt adds a recipient (RFC 5321 §4.1.1.3).
func (s *session) cmdRcpt(arg string) *smtpreply.Reply {
	if s.tx == nil {
		return s.bad(smtpreply.BadSequence("Need MAIL before RCPT"))
	}
	env := s.tx.env
	path, params, ok := splitPath(arg, "TO:")
	if !ok {
		return s.bad(smtpreply.BadArguments("Syntax: RCPT TO:<address> [parameters]"))
	}
	addr, ok := s.forwardPath(path)
	if !ok {
		return s.bad(smtpreply.BadAddress("Bad recipient address syntax"))
	}
	rcpt := envelope.Recipient{Addr: addr}
	if r := s.rcptParams(&rcpt, params); r != nil {
		return r
	}
	if !addr.IsASCII() && !env.SMTPUTF8 { // RFC 6531 §3.5
		return s.bad(smtpreply.NeedsSMTPUTF8())
	}
	if s.rcptCutOff() { // harvesting (rcptguard.go)
		return nil
	}
	if s.screenRcpt(addr.String()) {
		return nil
	}
	// RFC 5321 §4.5.3.1.10: 452 for recipients past the limit; the
	// transaction goes on with those already accepted.
	if len(env.Recipients) >= s.cfg.MaxRecipients {
		return s.rcptRejected(env, addr, smtpreply.TooManyRecipients())
	}
	if r := s.srv.d.CheckRecipient(s.srv.ctx, env, rcpt); r != nil {
		return s.rcptRejected(env, addr, r)
	}
	env.Recipients = append(env.Recipients, rcpt)
	return smtpreply.RecipientOK()
}

// forwardPath parses the path of RCPT TO. The bare "<Postmaster>" (any
// case) must be accepted (RFC 5321 §4.1.1.3, §4.5.1): it becomes
// postmaster@Hostname, and Delivery decides where that goes. The null
// path is not a recipient.
func (s *session) forwardPath(path string) (mailaddr.Address, bool) {
	if strings.EqualFold(path, "<postmaster>") {
		return mailaddr.Address{Local: "postmaster", Domain: s.cfg.Hostname}, true
	}
	a, err := mailaddr.ParsePath(path) // strips a source route
	if err != nil || a.IsZero() {
		return mailaddr.Address{}, false
	}
	return a, true
}

// splitPath splits the argument of MAIL or RCPT ("FROM:<path> params")
// into the path in angle brackets and the parameters. Spaces after the
// colon are tolerated (RFC 5321 §4.1.1 has none, but clients send them);
// a ">" inside a quoted local part does not end the path.
func splitPath(arg, prefix string) (path, params string, ok bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", "", false
	}
	s := strings.TrimLeft(arg[len(prefix):], " ")
	if !strings.HasPrefix(s, "<") {
		return "", "", false
	}
	quoted := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '>':
			rest := s[i+1:]
			if rest != "" && rest[0] != ' ' {
				return "", "", false
			}
			return s[:i+1], strings.TrimSpace(rest), true
		}
	}
	return "", "", false
}
