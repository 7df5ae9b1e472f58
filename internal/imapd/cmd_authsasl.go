package imapd

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/scram"
)

// authMechanisms are the AUTH= capabilities (RFC 9051 §6.2.2):
// SCRAM-SHA-256-PLUS only with TLS channel binding data (RFC 5802 §6),
// SCRAM-SHA-256 and PLAIN. LOGIN stays out: IMAP has its LOGIN command.
func (s *session) authMechanisms() string {
	var b strings.Builder
	for _, m := range accounts.SASLMechanisms(scram.ConnExporter(s.conn)) {
		if m != "LOGIN" {
			b.WriteString(" AUTH=" + m)
		}
	}
	return b.String()
}

// authenticateSASL runs AUTHENTICATE SCRAM-SHA-256 and
// SCRAM-SHA-256-PLUS (RFC 7677, RFC 9051 §6.2.2), with an initial
// response (RFC 4959) or without: challenges are "+ " and base64, a
// response "*" cancels.
func (s *session) authenticateSASL(a *authArgs) status {
	var creds accounts.Credentials
	mech := s.srv.auth.NewSASLServer(s.ctx, a.mech, scram.ConnExporter(s.conn), &creds)
	if mech == nil {
		return respNO("Unsupported authentication mechanism")
	}
	var resp []byte
	if a.initial != nil {
		var st status
		var ok bool
		if resp, st, ok = decodeSASL(*a.initial); !ok {
			return st
		}
	}
	for {
		challenge, done, err := mech.Next(resp)
		switch {
		case errors.Is(err, accounts.ErrProxyLogin):
			return respNOCode("AUTHORIZATIONFAILED", "Cannot act as another user")
		case errors.Is(err, accounts.ErrSCRAMRefused):
			// A channel binding mismatch or downgrade (RFC 5802 §6), a
			// nonce that is not ours: refused, as a failed login is.
			s.log.Info("login refused: SCRAM exchange", "user", creds.User, "err", err)
			return respNOCode("AUTHENTICATIONFAILED", "Authentication refused")
		case err != nil:
			return respBAD("Invalid SASL response")
		case done:
			return s.loginCreds(creds)
		}
		var st status
		var ok bool
		if resp, st, ok = s.saslRound(challenge); !ok {
			return st
		}
	}
}

// saslRound sends a challenge and reads the client's response; ok is
// false with the status that ends the command.
func (s *session) saslRound(challenge []byte) ([]byte, status, bool) {
	s.w.raw("+ " + base64.StdEncoding.EncodeToString(challenge) + "\r\n")
	if s.w.flush() != nil || s.r.readLine() != nil {
		s.state = stateLogout
		return nil, status{}, false
	}
	return decodeSASL(string(s.r.line))
}

// decodeSASL decodes a base64 response; "=" is an empty initial response
// (RFC 4959 §3) and "*" cancels (RFC 9051 §6.2.2).
func decodeSASL(line string) ([]byte, status, bool) {
	switch line {
	case "*":
		return nil, respBAD("Authentication cancelled"), false
	case "=":
		return []byte{}, status{}, true
	}
	b, err := base64.StdEncoding.DecodeString(line)
	if err != nil {
		return nil, respBAD("Invalid base64 data"), false
	}
	if b == nil {
		b = []byte{}
	}
	return b, status{}, true
}

// finishSCRAM sends a SCRAM login's server-final message as the last
// challenge and takes the client's empty response before the login
// counts; ok is true at once for the other mechanisms.
func (s *session) finishSCRAM(creds accounts.Credentials) (status, bool) {
	final := creds.ServerFinal()
	if final == nil {
		return status{}, true
	}
	resp, st, ok := s.saslRound(final)
	if ok && len(resp) != 0 {
		return respBAD("Expected an empty response"), false
	}
	return st, ok
}
