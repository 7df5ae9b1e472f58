package smtpd

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// exchange runs the SASL exchange of "AUTH mechanism [initial-response]"
// (RFC 4954 §4) and returns the credentials, or the reply that ends the
// command (nil, nil when the connection failed).
func (a *Auth) exchange(c Conn, arg string) (*accounts.Credentials, *smtpreply.Reply) {
	name, initial, _ := strings.Cut(arg, " ")
	var creds accounts.Credentials
	mech := a.cfg.Auth.NewSASLServer(context.Background(), name, c.State().ChannelBinding, &creds)
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
		case errors.Is(err, accounts.ErrProxyLogin):
			return nil, c.Bad(smtpreply.AuthFailed())
		case errors.Is(err, accounts.ErrSCRAMRefused):
			// A SCRAM channel binding mismatch or downgrade (RFC 5802
			// §6), a nonce that is not ours: refused like a failed login.
			c.Log().Info("login refused: SCRAM exchange", "user", printable(creds.User), "err", err)
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

// finishSCRAM sends a SCRAM login's server-final message as a last 334
// challenge and takes the client's empty response (RFC 4954 §4 has no
// additional data with 235); nil at once for the other mechanisms.
func finishSCRAM(c Conn, creds accounts.Credentials) (failed bool, r *smtpreply.Reply) {
	final := creds.ServerFinal()
	if final == nil {
		return false, nil
	}
	if c.Reply(smtpreply.AuthChallenge(base64.StdEncoding.EncodeToString(final))) != nil {
		return true, nil
	}
	resp, r := readResponse(c)
	switch {
	case resp == nil:
		return true, r
	case len(resp) != 0:
		return true, c.Bad(smtpreply.BadArguments("Expected an empty response"))
	}
	return false, nil
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
