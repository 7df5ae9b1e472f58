package imapd

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/store"
)

func (s *session) cmdCapability(_ *command) status {
	s.w.raw("* CAPABILITY " + s.capabilities() + "\r\n")
	return respOK("CAPABILITY completed")
}

func (s *session) cmdNoop(_ *command) status { return respOK("NOOP completed") }

func (s *session) cmdLogout(_ *command) status {
	s.w.status("*", status{kind: "BYE", text: "Logging out"})
	s.state = stateLogout
	return respOK("LOGOUT completed")
}

// cmdID answers RFC 2971 ID with the server's name only.
func (s *session) cmdID(_ *command) status {
	s.w.raw(`* ID ("name" "Petrel")` + "\r\n")
	return respOK("ID completed")
}

// cmdStartTLS upgrades the connection (RFC 9051 §6.2.1). Input pipelined
// after STARTTLS would be read as if protected: the session is closed.
func (s *session) cmdStartTLS(_ *command) status {
	if s.srv.cfg.TLS == nil || s.tls {
		return respBAD("STARTTLS not available")
	}
	if s.br.Buffered() > 0 {
		s.state = stateLogout
		return respBAD("Data after STARTTLS")
	}
	s.w.status(s.curTag, respOK("Begin TLS negotiation now"))
	if s.w.flush() != nil {
		s.state = stateLogout
		return status{}
	}
	tc, err := netserve.Handshake(s.ctx, s.conn, s.srv.cfg.TLS, s.srv.cfg.HandshakeTimeout)
	if err != nil {
		s.log.Debug("STARTTLS handshake failed", "err", err)
		s.state = stateLogout
		return status{}
	}
	s.setConn(tc)
	s.tls = true
	return status{}
}

func (s *session) cmdLogin(c *command) status {
	if !s.authAllowed() {
		return respNOCode("PRIVACYREQUIRED", "LOGIN is disabled before STARTTLS")
	}
	return s.login(c.user, c.pass)
}

// cmdAuthenticate runs AUTHENTICATE PLAIN (RFC 4616) with an optional
// initial response (RFC 4959).
func (s *session) cmdAuthenticate(c *command) status {
	if !s.authAllowed() {
		return respNOCode("PRIVACYREQUIRED", "Authentication is disabled before STARTTLS")
	}
	if c.mech != "PLAIN" {
		return respNO("Unsupported authentication mechanism")
	}
	var resp string
	if c.initial != nil {
		resp = *c.initial
	} else {
		s.w.raw("+ \r\n")
		if s.w.flush() != nil {
			s.state = stateLogout
			return status{}
		}
		if err := s.r.readLine(); err != nil {
			s.state = stateLogout
			return status{}
		}
		resp = string(s.r.line)
	}
	if resp == "*" {
		return respBAD("Authentication cancelled")
	}
	if resp == "=" {
		resp = ""
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return respBAD("Invalid base64 data")
	}
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 {
		return respBAD("Invalid PLAIN response")
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != user {
		return respNOCode("AUTHORIZATIONFAILED", "Cannot act as another user")
	}
	return s.login(user, pass)
}

// login checks credentials through the failed-login guard, which counts
// failures under the account the name logs in to, as for POP3 and
// submission (authguard.Config.AccountKey).
func (s *session) login(user, pass string) status {
	user = strings.TrimSpace(user)
	var at *authguard.Attempt
	if g := s.srv.guard; g != nil {
		var v authguard.Verdict
		at, v = g.Begin(s.ip, user)
		if v.Blocked {
			s.log.Info("login refused: too many failures", "user", user)
			// Counted like a failure, so that one connection cannot loop
			// on refused logins.
			s.authFailed()
			return respNOCode("UNAVAILABLE", "Too many failed logins; try again later")
		}
		if v.Delay > 0 {
			t := time.NewTimer(v.Delay)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				at.Abandon()
				return respNOCode("UNAVAILABLE", "Server shutting down")
			}
		}
	}
	acct, err := s.srv.auth.Authenticate(s.ctx, user, pass)
	if errors.Is(err, accounts.ErrAuthFailed) {
		if at != nil {
			at.Failure()
		}
		s.log.Info("login failed", "user", user)
		s.authFailed()
		return respNOCode("AUTHENTICATIONFAILED", "Invalid credentials")
	}
	if err != nil {
		if at != nil {
			at.Abandon()
		}
		return s.storeError("authenticate", err)
	}
	if at != nil {
		at.Success()
	}
	s.acct = acct
	s.state = stateAuth
	s.sub = s.srv.st.Subscribe(acct.ID)
	s.log = s.log.With("account", acct.Address)
	s.log.Info("logged in")
	return respOKCode("CAPABILITY "+s.capabilities(), "Logged in")
}

// cmdEnable turns on extensions (RFC 5161, RFC 9051 §6.3.1).
func (s *session) cmdEnable(c *command) status {
	var enabled []string
	for _, a := range c.atoms {
		switch a {
		case "IMAP4REV2":
			s.rev2, s.utf8 = true, true
			enabled = append(enabled, "IMAP4rev2")
		case "CONDSTORE":
			s.condstore = true
			enabled = append(enabled, "CONDSTORE")
		case "QRESYNC":
			s.qresync, s.condstore = true, true
			enabled = append(enabled, "QRESYNC")
		case "UTF8=ACCEPT":
			s.utf8 = true
			enabled = append(enabled, "UTF8=ACCEPT")
		}
	}
	s.w.raw("* ENABLED")
	for _, e := range enabled {
		s.w.raw(" " + e)
	}
	s.w.crlf()
	return respOK("ENABLE completed")
}

// cmdNamespace: one personal namespace, no others (RFC 2342).
func (s *session) cmdNamespace(_ *command) status {
	s.w.raw(`* NAMESPACE (("" "` + store.HierarchySep + `")) NIL NIL` + "\r\n")
	return respOK("NAMESPACE completed")
}

// authFailed counts a failed or refused login; at MaxAuthFailures the
// session ends with BYE after the tagged reply.
func (s *session) authFailed() {
	s.authFails++
	if s.authFails >= s.srv.cfg.MaxAuthFailures {
		s.w.status("*", status{kind: "BYE", text: "Too many failed logins"})
		s.state = stateLogout
	}
}
