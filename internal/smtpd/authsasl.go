package smtpd

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// credentials are what a SASL exchange yields.
type credentials struct{ user, password string }

// errProxyLogin refuses a PLAIN authorization identity other than the
// user (RFC 4616 §2 lets a server refuse to act as another identity).
var errProxyLogin = errors.New("authorization identity differs from the user")

// mechanism returns the SASL server of a mechanism name, which fills
// creds, or nil when the mechanism is not offered.
func mechanism(name string, creds *credentials) sasl.Server {
	keep := func(user, password string) error {
		*creds = credentials{user, password}
		return nil
	}
	switch strings.ToUpper(name) {
	case sasl.Plain: // RFC 4616
		return sasl.NewPlainServer(func(authzid, user, password string) error {
			if authzid != "" && authzid != user {
				return errProxyLogin
			}
			return keep(user, password)
		})
	case sasl.Login: // draft-murchison-sasl-login
		return accounts.NewLoginServer(keep)
	}
	return nil
}

// exchange runs the SASL exchange of "AUTH mechanism [initial-response]"
// (RFC 4954 §4) and returns the credentials, or the reply that ends the
// command (nil, nil when the connection failed).
func exchange(c Conn, arg string) (*credentials, *smtpreply.Reply) {
	name, initial, _ := strings.Cut(arg, " ")
	var creds credentials
	mech := mechanism(name, &creds)
	if mech == nil {
		return nil, c.Bad(smtpreply.UnknownMechanism())
	}
	var resp []byte
	if initial != "" {
		var ok bool
		if resp, ok = decodeSASL(initial); !ok {
			return nil, c.Bad(smtpreply.BadBase64())
		}
	}
	for {
		challenge, done, err := mech.Next(resp)
		switch {
		case errors.Is(err, errProxyLogin):
			return nil, c.Bad(smtpreply.AuthFailed())
		case err != nil:
			return nil, c.Bad(smtpreply.BadArguments("Malformed authentication response"))
		case done:
			return &creds, nil
		}
		if c.Reply(smtpreply.AuthChallenge(base64.StdEncoding.EncodeToString(challenge))) != nil {
			return nil, nil
		}
		var r *smtpreply.Reply
		if resp, r = readResponse(c); resp == nil {
			return nil, r
		}
	}
}

// readResponse reads one client response line; a nil response comes with
// the reply that ends the exchange (nil when the connection failed).
func readResponse(c Conn) ([]byte, *smtpreply.Reply) {
	line, tooLong, err := c.ReadLine()
	switch {
	case err != nil:
		return nil, nil
	case tooLong:
		return nil, c.Bad(smtpreply.AuthLineTooLong())
	case line == "*": // RFC 4954 §4: the client cancels
		return nil, smtpreply.AuthCancelled()
	}
	resp, ok := decodeSASL(line)
	if !ok {
		return nil, c.Bad(smtpreply.BadBase64())
	}
	return resp, nil
}

// decodeSASL decodes a base64 response; "=" is the empty initial response
// (RFC 4954 §4). The result is never nil when ok.
func decodeSASL(s string) ([]byte, bool) {
	if s == "=" {
		return []byte{}, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}
