package pop3d

import (
	"encoding/base64"
	"errors"

	"github.com/petrelmail/petrel/internal/accounts"
)

// authenticate is AUTH (RFC 5034 §4) with PLAIN (RFC 4616) and LOGIN. An
// initial response is accepted ("=" for an empty one). Without arguments
// it lists the mechanisms, as many clients probe with it.
func (s *session) authenticate(args []string) Reply {
	if !s.authAllowed() {
		return replyNeedTLS
	}
	if len(args) == 0 {
		return Reply{OK: true, Text: "Mechanisms follow", Multi: true, Lines: []string{"PLAIN", "LOGIN"}}
	}
	if len(args) > 2 {
		return replySyntax
	}
	var creds accounts.Credentials
	mech := accounts.NewSASLServer(args[0], &creds)
	if mech == nil {
		return replyUnknownMech
	}
	var resp []byte
	if len(args) == 2 {
		var bad bool
		if resp, bad = decodeResponse(args[1]); bad {
			return replyBadBase64
		}
	}
	for {
		challenge, done, err := mech.Next(resp)
		if errors.Is(err, accounts.ErrProxyLogin) {
			s.log.Info("login failed: authorization identity differs", "user", creds.User)
			return s.authFailed(replyAuthFailed)
		}
		if err != nil {
			return replyBadSASL
		}
		if done {
			break
		}
		if !s.send(Reply{Continue: true, Text: base64.StdEncoding.EncodeToString(challenge)}) {
			return Reply{Close: true}
		}
		line, err := s.readLine(s.srv.cfg.MaxSASLLineLength)
		switch {
		case errors.Is(err, errLineTooLong):
			return replyLineTooLong
		case err != nil:
			return Reply{Close: true}
		case line == "*":
			return replyAuthCancelled
		}
		var bad bool
		if resp, bad = decodeResponse(line); bad {
			return replyBadBase64
		}
	}
	return s.login(creds.User, creds.Password)
}

// decodeResponse decodes a base64 SASL response; "=" is the empty
// initial response (RFC 5034 §4).
func decodeResponse(s string) (b []byte, bad bool) {
	if s == "=" {
		return []byte{}, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, true
	}
	return b, false
}
