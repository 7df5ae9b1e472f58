package managesieve

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/scram"
	"github.com/petrelmail/petrel/internal/store"
)

// authAllowed reports whether credentials may be sent now: over TLS, or
// anywhere when the operator allowed it (tls.allow_insecure_auth), as on
// the other protocols.
func (s *session) authAllowed() bool { return s.isTLS || s.srv.cfg.AllowInsecureAuth }

// starttls is STARTTLS (RFC 5804 §2.2). Commands pipelined after it are
// dropped: nothing sent before the handshake may be taken as sent over
// TLS. Once the handshake is over the server re-issues its capabilities.
func (s *session) starttls(args []Arg) Reply {
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

// startTLS runs the server side of the handshake on the connection, then
// sends the capabilities again (RFC 5804 §2.2).
func (s *session) startTLS() bool {
	tc := s.c.StartTLS(s.srv.cfg.TLS)
	s.r.Reset(tc)
	if !s.handshake(tc) {
		return false
	}
	s.isTLS = true
	return s.send(s.capability().withText("TLS negotiation successful"))
}

// authenticate is AUTHENTICATE (RFC 5804 §2.1) with SCRAM-SHA-256 and,
// over TLS, SCRAM-SHA-256-PLUS (RFC 7677), PLAIN (RFC 4616) and LOGIN,
// the initial response given or not. Challenges and responses
// are base64 in strings; a response "*" cancels.
func (s *session) authenticate(args []Arg) Reply {
	strs, valid := stringArgs(args, len(args))
	if !valid || len(strs) < 1 || len(strs) > 2 {
		return replySyntax
	}
	if !s.authAllowed() {
		return replyNeedTLS
	}
	var creds accounts.Credentials
	mech := s.srv.d.Auth.NewSASLServer(s.srv.ctx, strs[0], scram.ConnExporter(s.c.Raw()), &creds)
	if mech == nil {
		return replyUnknownMech
	}
	var resp []byte
	if len(strs) == 2 {
		var err error
		if resp, err = base64.StdEncoding.DecodeString(strs[1]); err != nil {
			return replyBadBase64
		}
	}
	for {
		challenge, done, err := mech.Next(resp)
		if errors.Is(err, accounts.ErrProxyLogin) {
			s.log.Info("login failed: authorization identity differs", "user", creds.User)
			return s.authFailed(replyAuthFailed)
		}
		if errors.Is(err, accounts.ErrSCRAMRefused) {
			// Channel binding that does not match, a downgrade (RFC
			// 5802 §6), a nonce that is not ours: a failed login.
			s.log.Info("login refused: SCRAM exchange", "user", creds.User, "err", err)
			return s.authFailed(replyAuthFailed)
		}
		if err != nil {
			return replyBadSASL
		}
		if done {
			break
		}
		// RFC 5804 §2.1: "continue = string CRLF", the challenge in base64.
		s.w.WriteString(encodeString(base64.StdEncoding.EncodeToString(challenge)) + "\r\n")
		if !s.flush() {
			return Reply{Close: true}
		}
		line, err := s.readString()
		switch {
		case errors.Is(err, errSyntax):
			return replyBadSASL
		case err != nil:
			if r, ok := s.readFailed(err); ok {
				return r
			}
			return Reply{Close: true}
		case line == "*":
			return replyAuthCancelled
		}
		if resp, err = base64.StdEncoding.DecodeString(line); err != nil {
			return replyBadBase64
		}
	}
	return s.login(creds)
}

// login checks credentials through the throttle shared with IMAP, POP3
// and submission. Failures count towards MaxAuthFailures.
func (s *session) login(creds accounts.Credentials) Reply {
	creds.User = strings.TrimSpace(creds.User)
	user := creds.User
	at, v := s.srv.throttle.Begin(s.ip, user)
	if v.Blocked {
		s.srv.metrics.Login(obs.LoginBlocked)
		s.log.Info("login refused: throttled", "user", user, "until", v.Until)
		return s.authFailed(replyThrottled)
	}
	if v.Delay > 0 && !s.sleep(v.Delay) {
		at.Abandon()
		return replyShutdown
	}
	ctx, cancel := s.opContext()
	acct, err := creds.Check(ctx, s.srv.d.Auth.Authenticate)
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
	s.srv.metrics.Login(obs.LoginSuccess)
	s.acct, s.authed = acct, true
	s.log = s.log.With("account", acct.Address)
	s.log.Info("logged in")
	r := ok("Logged in")
	if final := creds.ServerFinal(); final != nil {
		// RFC 5804 §2.1: SCRAM's server-final message as additional
		// data with success.
		r.SASL = base64.StdEncoding.EncodeToString(final)
	}
	return r
}

// authFailed counts a failed login; the last allowed one closes the
// connection.
func (s *session) authFailed(r Reply) Reply {
	s.authFails++
	if s.authFails >= s.srv.cfg.MaxAuthFailures {
		s.log.Info("too many failed logins", "count", s.authFails)
		return r.closing()
	}
	return r
}

// unauthenticate is UNAUTHENTICATE (RFC 5804 §2.14): back to the
// non-authenticated state, on the same connection and TLS.
func (s *session) unauthenticate(args []Arg) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	s.log.Info("unauthenticated")
	s.log = s.srv.log.With("conn", s.id, "remote", s.remote())
	s.acct, s.authed = store.Account{}, false
	s.commands, s.bad = 0, 0
	return ok("Unauthenticated")
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
