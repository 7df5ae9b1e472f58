package accounts

import (
	"errors"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/petrelmail/petrel/internal/mailaddr"
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

// Credentials are what a password SASL exchange yields.
type Credentials struct{ User, Password string }

// NewSASLServer returns the server side of a password mechanism, PLAIN
// (RFC 4616, without proxy logins: ErrProxyLogin) or LOGIN, which fills
// creds when the exchange ends; nil for any other mechanism name.
func NewSASLServer(mech string, creds *Credentials) sasl.Server {
	keep := func(user, password string) error {
		*creds = Credentials{user, password}
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
