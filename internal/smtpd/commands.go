package smtpd

import (
	"crypto/tls"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/scram"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// handler runs one command; a nil reply means it has answered itself.
type handler func(s *session, arg string) *smtpreply.Reply

// dispatch finds and runs the handler of verb.
func (s *session) dispatch(verb, arg string) *smtpreply.Reply {
	if h := s.builtin(verb); h != nil {
		return h(s, arg)
	}
	for _, ext := range s.cfg.Extensions {
		if ext.Handles(verb) {
			r := ext.Command(extConn{s}, verb, arg)
			s.quit = s.quit || r != nil && r.Code == 421 // RFC 5321 §3.8: 421 closes
			return r
		}
	}
	return s.bad(smtpreply.BadSyntax("Command unrecognized"))
}

// builtin returns the handler of a command of RFC 5321 and its
// extensions, or nil. LMTP has LHLO instead of HELO and EHLO (RFC 2033
// §4.1); SMTP has no LHLO.
func (s *session) builtin(verb string) handler {
	switch verb {
	case "HELO", "EHLO":
		if !s.cfg.LMTP {
			return hello(verb)
		}
	case "LHLO":
		if s.cfg.LMTP {
			return hello(verb)
		}
	case "MAIL":
		return (*session).cmdMail
	case "RCPT":
		return (*session).cmdRcpt
	case "DATA":
		return (*session).cmdData
	case "BDAT":
		return (*session).cmdBdat
	case "RSET":
		return (*session).cmdRset
	case "NOOP":
		return (*session).cmdNoop
	case "QUIT":
		return (*session).cmdQuit
	case "VRFY":
		return (*session).cmdVrfy
	case "EXPN":
		return (*session).cmdExpn
	case "HELP":
		return (*session).cmdHelp
	case "STARTTLS":
		return (*session).cmdStartTLS
	}
	return nil
}

func hello(verb string) handler {
	return func(s *session, arg string) *smtpreply.Reply { return s.cmdHello(verb, arg) }
}

// cmdHello answers HELO, EHLO (RFC 5321 §4.1.1.1) and LHLO (RFC 2033
// §4.1). It resets any transaction (§4.1.4).
func (s *session) cmdHello(verb, arg string) *smtpreply.Reply {
	name, _, _ := strings.Cut(arg, " ")
	if !validHelo(name) {
		return s.bad(smtpreply.BadArguments(verb + " requires a domain name or address literal"))
	}
	if s.screenPipelined() {
		return nil
	}
	s.resetTx()
	s.helo = name
	switch verb {
	case "HELO":
		s.proto = "SMTP"
		return smtpreply.Hello(s.cfg.Hostname)
	case "LHLO":
		s.proto = "LMTP"
	default:
		s.proto = "ESMTP"
	}
	return smtpreply.Extensions(s.cfg.Hostname, s.keywords())
}

// validHelo accepts a non-empty name of printable octets; the name goes
// into the Received header, so nothing else is allowed. It is not checked
// against DNS (RFC 5321 §4.1.4: the server MUST NOT refuse on that ground).
func validHelo(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] == 0x7f {
			return false
		}
	}
	return strings.ToValidUTF8(name, "") == name
}

// keywords are the EHLO/LHLO extension lines. BINARYMIME (RFC 3030) is
// never offered.
func (s *session) keywords() []string {
	size := strconv.FormatInt(s.cfg.MaxMessageSize, 10)
	kw := []string{
		"PIPELINING",          // RFC 2920
		"SIZE " + size,        // RFC 1870
		"8BITMIME",            // RFC 6152
		"SMTPUTF8",            // RFC 6531
		"ENHANCEDSTATUSCODES", // RFC 2034
		"CHUNKING",            // RFC 3030
		"DSN",                 // RFC 3461
	}
	if s.cfg.TLS != nil && s.tls == nil {
		kw = append(kw, "STARTTLS") // RFC 3207
	}
	if s.tls != nil && !s.cfg.LMTP {
		// RFC 8689 §2: the option may only be used in a TLS session, so
		// it is offered only there (LMTP hands mail to local mailboxes:
		// there is no relay to hold to it).
		kw = append(kw, "REQUIRETLS")
	}
	for _, ext := range s.cfg.Extensions {
		kw = append(kw, ext.Keywords(s.state())...)
	}
	return kw
}

// cmdRset aborts the transaction (RFC 5321 §4.1.1.5).
func (s *session) cmdRset(arg string) *smtpreply.Reply {
	if arg != "" {
		return s.bad(smtpreply.BadArguments("RSET takes no arguments"))
	}
	s.resetTx()
	return smtpreply.OK("Reset OK")
}

// cmdNoop: RFC 5321 §4.1.1.9 (an argument is allowed and ignored).
func (s *session) cmdNoop(string) *smtpreply.Reply { return smtpreply.OK("OK") }

// cmdQuit: RFC 5321 §4.1.1.10.
func (s *session) cmdQuit(string) *smtpreply.Reply {
	s.quit = true
	return smtpreply.Bye()
}

// cmdVrfy: RFC 5321 §3.5.3 allows 252 instead of disclosing mailboxes.
func (s *session) cmdVrfy(arg string) *smtpreply.Reply {
	if arg == "" {
		return s.bad(smtpreply.BadArguments("VRFY requires an argument"))
	}
	return smtpreply.CannotVerify()
}

// cmdExpn: RFC 5321 §3.5.3, mailing lists are not disclosed.
func (s *session) cmdExpn(string) *smtpreply.Reply { return smtpreply.NotImplemented("EXPN") }

// cmdHelp: RFC 5321 §4.1.1.8.
func (s *session) cmdHelp(string) *smtpreply.Reply { return smtpreply.Help() }

// resetTx drops the open transaction, if any.
func (s *session) resetTx() {
	s.bdatFailed = false
	s.mu.Lock()
	s.tx = nil
	s.mu.Unlock()
	s.body.reset()
}

// cmdStartTLS (RFC 3207 §4) answers 220, then does the handshake.
// Afterwards the session is in its initial state (§4.2: all knowledge
// obtained from the client before the handshake is discarded): the EHLO
// name, the transaction, and also the octets the client sent after the
// STARTTLS line, which an attacker may have injected (CVE-2011-0411);
// they are dropped, never executed.
func (s *session) cmdStartTLS(arg string) *smtpreply.Reply {
	switch {
	case s.cfg.TLS == nil:
		return s.bad(smtpreply.NotImplemented("STARTTLS"))
	case s.tls != nil:
		return s.bad(smtpreply.BadSequence("TLS already active"))
	case arg != "":
		return s.bad(smtpreply.BadArguments("STARTTLS takes no arguments"))
	}
	s.reply(smtpreply.ReadyForTLS())
	if err := s.flush(); err != nil {
		s.quit = true
		return nil
	}
	if n := s.br.Buffered(); n > 0 {
		s.log.Warn("discarding input pipelined after STARTTLS", "octets", n)
		s.br.Discard(n)
	}
	if !s.handshake() {
		s.quit = true
		return nil
	}
	s.resetTx()
	s.helo, s.proto, s.auth = "", "", ""
	return nil
}

// handshake runs the TLS server handshake (implicit TLS or after
// STARTTLS) under HandshakeTimeout and switches the session to the TLS
// connection.
func (s *session) handshake() bool {
	tc, err := netserve.Handshake(s.srv.ctx, s.raw, s.cfg.TLS, s.cfg.HandshakeTimeout)
	if err != nil {
		s.log.Info("TLS handshake failed", "err", err)
		return false
	}
	st := tc.ConnectionState()
	s.tls = &st
	s.binding = scram.Exporter(&st)
	s.conn = tc
	s.br.Reset(connReader{s})
	s.bw.Reset(tc)
	s.log.Debug("TLS started", "tls_version", tls.VersionName(st.Version), "cipher", tls.CipherSuiteName(st.CipherSuite))
	return true
}
