package pop3d

import (
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/obs"
)

// authAllowed reports whether credentials may be sent now: over TLS, or
// anywhere when the operator allowed it (tls.allow_insecure_auth).
func (s *session) authAllowed() bool { return s.isTLS || s.srv.cfg.AllowInsecureAuth }

// capa lists what works in the current state, and nothing else
// (RFC 2449 §5).
func (s *session) capa(args []string) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	lines := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if s.state == stateAuthorization {
		if s.authAllowed() {
			lines = append(lines, "USER", "SASL "+strings.Join(s.mechanisms(), " "))
		}
		if s.srv.cfg.TLS != nil && !s.isTLS {
			lines = append(lines, "STLS")
		}
	}
	lines = append(lines, "IMPLEMENTATION Petrel")
	return Reply{OK: true, Text: "Capability list follows", Multi: true, Lines: lines}
}

// userCmd is USER (RFC 1939 §7). The name is not checked here: the reply
// to PASS is the same for an unknown user and a wrong password.
func (s *session) userCmd(args []string) Reply {
	if !s.authAllowed() {
		return replyNeedTLS
	}
	if len(args) != 1 {
		return replySyntax
	}
	s.user = args[0]
	return ok("Send PASS")
}

// pass is PASS (RFC 1939 §7).
func (s *session) pass(args []string) Reply {
	user := s.user
	s.user = ""
	if !s.authAllowed() {
		return replyNeedTLS
	}
	if user == "" {
		return replyNoUser
	}
	return s.login(accounts.Credentials{User: user, Password: args[0]})
}

// stls is STLS (RFC 2595 §4). Commands pipelined after STLS are dropped:
// nothing sent before the handshake may be taken as sent over TLS. The
// session starts TLS once the reply is sent (startTLS).
func (s *session) stls(args []string) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	if s.srv.cfg.TLS == nil || s.isTLS {
		return replyNoTLS
	}
	s.r.Discard(s.r.Buffered())
	r := ok("Begin TLS negotiation")
	r.startTLS = true
	return r
}

// startTLS runs the server side of the handshake on the connection.
func (s *session) startTLS() bool {
	tc := s.c.StartTLS(s.srv.cfg.TLS)
	s.r.Reset(tc)
	if !s.handshake(tc) {
		return false
	}
	s.isTLS = true
	return true
}

// login checks credentials through the throttle, then opens the
// maildrop. Failures count towards MaxAuthFailures.
func (s *session) login(creds accounts.Credentials) Reply {
	user := creds.User
	at, v := s.srv.throttle.Begin(s.ip, user)
	if v.Blocked {
		s.srv.metrics.Login(obs.LoginBlocked)
		s.log.Info("login refused: throttled", "user", user, "until", v.Until)
		return s.authFailed(throttled())
	}
	if v.Delay > 0 && !s.sleep(v.Delay) {
		at.Abandon()
		return replyShutdown
	}
	ctx, cancel := s.opContext()
	acct, err := creds.Check(ctx, s.srv.auth.Authenticate)
	cancel()
	if errors.Is(err, accounts.ErrAuthFailed) {
		at.Failure()
		s.srv.metrics.Login(obs.LoginFailure)
		s.log.Info("login failed", "user", user)
		return s.authFailed(replyAuthFailed)
	}
	if err != nil {
		at.Abandon()
		return s.storeFailure("authenticate", err)
	}
	at.Success()
	if r, ok := s.finishSCRAM(creds); !ok {
		return r
	}
	s.srv.metrics.Login(obs.LoginSuccess)
	return s.openMaildrop(acct)
}

// authFailed counts a failed login; the last allowed one closes the
// connection.
func (s *session) authFailed(r Reply) Reply {
	s.authFails++
	if s.authFails >= s.srv.cfg.MaxAuthFailures {
		r.Close = true
	}
	return r
}

// sleep waits d, or until the server shuts down (false).
func (s *session) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.srv.ctx.Done():
		return false
	}
}
