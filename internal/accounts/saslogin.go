package accounts

import (
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
