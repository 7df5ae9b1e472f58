package accounts

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/scram"
	"github.com/petrelmail/petrel/internal/store"
)

// LoginAuthenticator receives the credentials of a LOGIN exchange.
type LoginAuthenticator func(username, password string) error

// loginServer is the server side of the LOGIN SASL mechanism
// (draft-murchison-sasl-login-00 §2): the challenges "Username:" and
// "Password:", each answered by the client. A client's initial response
// (RFC 4954 §4) is its user name, so the exchange skips the first
// challenge.
type loginServer struct {
	auth     LoginAuthenticator
	username string
	step     int
}

// NewLoginServer returns a LOGIN mechanism server (go-sasl has only the
// client side). auth's error ends the exchange.
func NewLoginServer(auth LoginAuthenticator) sasl.Server { return &loginServer{auth: auth} }

// Next implements sasl.Server.
func (l *loginServer) Next(resp []byte) (challenge []byte, done bool, err error) {
	switch {
	case l.step == 0 && resp == nil:
		l.step = 1 // no initial response: ask for the user name
		return []byte("Username:"), false, nil
	case l.step <= 1:
		l.username = string(resp)
		l.step = 2
		return []byte("Password:"), false, nil
	case l.step == 2:
		l.step = 3
		return nil, true, l.auth(l.username, string(resp))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// ErrProxyLogin refuses a PLAIN authorization identity other than the
// user (RFC 4616 §2 lets a server refuse to act as another identity).
var ErrProxyLogin = errors.New("authorization identity differs from the user")

// Credentials are what a SASL exchange yields: a user and password
// (PLAIN, LOGIN), or a SCRAM exchange whose proof Check verifies.
type Credentials struct {
	User, Password string
	scram          *scramLogin
}

// SCRAM reports whether the credentials come from a SCRAM mechanism.
func (c Credentials) SCRAM() bool { return c.scram != nil }

// Check verifies the credentials: a SCRAM proof (RFC 5802 §3), or the
// password through authenticate (the protocol's Authenticator, normally
// Service.Authenticate). Callers consult their failed-login guard first
// and count an ErrAuthFailed like a wrong password.
func (c Credentials) Check(ctx context.Context, authenticate func(ctx context.Context, user, password string) (store.Account, error)) (store.Account, error) {
	if c.scram != nil {
		return c.scram.verify(ctx)
	}
	return authenticate(ctx, c.User, c.Password)
}

// ServerFinal is the SCRAM server-final-message (v=ServerSignature) once
// Check succeeded, nil otherwise and for PLAIN and LOGIN. The protocols
// send it as a last challenge and wait for the client's empty response
// before they report success (RFC 5802 §5; IMAP, POP3 and SMTP AUTH have
// no additional data with success).
func (c Credentials) ServerFinal() []byte {
	if c.scram == nil {
		return nil
	}
	return c.scram.final
}

// SASLMechanisms lists the mechanisms NewSASLServer offers on a
// connection whose tls-exporter channel binding data is exporter (nil
// without TLS): SCRAM-SHA-256-PLUS only when there is some (RFC 5802 §6),
// then SCRAM-SHA-256, PLAIN and LOGIN.
func SASLMechanisms(exporter []byte) []string {
	mechs := []string{scram.SHA256, sasl.Plain, sasl.Login}
	if exporter != nil {
		mechs = append([]string{scram.SHA256Plus}, mechs...)
	}
	return mechs
}

// NewSASLServer returns the server side of a mechanism of SASLMechanisms
// on a connection with the channel binding data exporter (nil without
// TLS): PLAIN (RFC 4616, without proxy logins: ErrProxyLogin), LOGIN,
// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677; a
// downgrade, the gs2 flag "y" where -PLUS is offered, is an error). It
// fills creds when the exchange ends; nil for any other mechanism. ctx
// bounds the SCRAM secrets' lookup.
func (s *Service) NewSASLServer(ctx context.Context, mech string, exporter []byte, creds *Credentials) sasl.Server {
	switch m := strings.ToUpper(mech); {
	case m == scram.SHA256 || m == scram.SHA256Plus && exporter != nil:
		l := &scramLogin{svc: s, ctx: ctx}
		l.conv = scram.NewServer(m == scram.SHA256Plus, exporter, l.lookup)
		return &scramMech{l: l, creds: creds}
	}
	return NewPasswordSASLServer(mech, creds)
}

// scramMech is a SCRAM exchange as a sasl.Server that fills Credentials.
type scramMech struct {
	l     *scramLogin
	creds *Credentials
}

func (m *scramMech) Next(resp []byte) ([]byte, bool, error) {
	challenge, done, err := m.l.conv.Next(resp)
	*m.creds = Credentials{User: m.l.conv.User()}
	if done && err == nil {
		m.creds.scram = m.l
	}
	return challenge, done, mapScramErr(err)
}

// NewPasswordSASLServer returns the PLAIN or LOGIN server of
// NewSASLServer, which needs no stored secrets; nil for another name.
func NewPasswordSASLServer(mech string, creds *Credentials) sasl.Server {
	keep := func(user, password string) error {
		*creds = Credentials{User: user, Password: password}
		return nil
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(authzid, user, password string) error {
			if authzid != "" && authzid != user {
				creds.User = user
				return ErrProxyLogin
			}
			return keep(user, password)
		})
	case sasl.Login:
		return NewLoginServer(keep)
	}
	return nil
}

// ThrottleKey is the name under which failed logins for username are
// counted (package authguard): the canonical address when username is
// one, so that spelling variants of an address count as one account.
func ThrottleKey(username string) string {
	username = strings.TrimSpace(username)
	a, err := mailaddr.Parse(username)
	if err == nil {
		if a, err = mailaddr.Canonical(a); err == nil {
			return a.String()
		}
	}
	return strings.ToLower(username)
}
