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
	"github.com/petrelmail/petrel/internal/obs"
)

// The commands of the not authenticated state (RFC 9051 §6.2).

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

// loginArgs are LOGIN's arguments; the password is never logged.
type loginArgs struct{ user, pass string }

func parseLogin(_ *session, r *reader, _ *command, a *loginArgs) error {
	var err error
	if err = r.sp(); err == nil {
		if a.user, err = r.astring(); err == nil {
			if err = r.sp(); err == nil {
				a.pass, err = r.astring()
			}
		}
	}
	return err
}

func (s *session) cmdLogin(_ *command, a *loginArgs) status {
	if !s.authAllowed() {
		return respNOCode("PRIVACYREQUIRED", "LOGIN is disabled before STARTTLS")
	}
	return s.login(a.user, a.pass)
}

// authArgs are AUTHENTICATE's mechanism (upper case) and initial
// response (RFC 4959), nil when none was sent.
type authArgs struct {
	mech    string
	initial *string
}

func parseAuthenticate(_ *session, r *reader, _ *command, a *authArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	mech, err := r.atom()
	if err != nil {
		return err
	}
	a.mech = strings.ToUpper(mech)
	if r.peek() == ' ' {
		r.pos++
		ir := r.atomWith(func(b byte) bool { return isBase64Char(b) || b == '=' })
		if ir == "" {
			return errSyntax("Expected an initial response")
		}
		a.initial = &ir
	}
	return nil
}

func isBase64Char(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/'
}

// cmdAuthenticate runs AUTHENTICATE PLAIN (RFC 4616) with an optional
// initial response (RFC 4959).
func (s *session) cmdAuthenticate(_ *command, a *authArgs) status {
	if !s.authAllowed() {
		return respNOCode("PRIVACYREQUIRED", "Authentication is disabled before STARTTLS")
	}
	if strings.HasPrefix(a.mech, "SCRAM-") {
		return s.authenticateSASL(a)
	}
	if a.mech != "PLAIN" {
		return respNO("Unsupported authentication mechanism")
	}
	var resp string
	if a.initial != nil {
		resp = *a.initial
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

func (s *session) login(user, pass string) status {
	return s.loginCreds(accounts.Credentials{User: user, Password: pass})
}

// loginCreds checks credentials through the failed-login guard, which
// counts failures under the account the name logs in to, as for POP3 and
// submission (authguard.Config.AccountKey).
func (s *session) loginCreds(creds accounts.Credentials) status {
	creds.User = strings.TrimSpace(creds.User)
	user := creds.User
	var at *authguard.Attempt
	if g := s.srv.guard; g != nil {
		var v authguard.Verdict
		at, v = g.Begin(s.ip, user)
		if v.Blocked {
			s.srv.metrics.Login(obs.LoginBlocked)
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
	acct, err := creds.Check(s.ctx, s.srv.auth.Authenticate)
	if errors.Is(err, accounts.ErrAuthFailed) {
		if at != nil {
			at.Failure()
		}
		s.srv.metrics.Login(obs.LoginFailure)
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
	if st, ok := s.finishSCRAM(creds); !ok {
		return st
	}
	s.srv.metrics.Login(obs.LoginSuccess)
	s.acct = acct
	s.state = stateAuth
	s.sub = s.srv.st.Subscribe(acct.ID)
	s.log = s.log.With("account", acct.Address)
	s.log.Info("logged in")
	return respOKCode("CAPABILITY "+s.capabilities(), "Logged in")
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
