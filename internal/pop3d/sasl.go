package pop3d

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
)

// credentials are what a SASL exchange yields.
type credentials struct{ user, password string }

var errAuthzid = errors.New("authorization identity differs from the user")

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
	var creds credentials
	var mech sasl.Server
	switch strings.ToUpper(args[0]) {
	case "PLAIN":
		mech = sasl.NewPlainServer(func(authzid, user, password string) error {
			if authzid != "" && authzid != user {
				return errAuthzid // no proxy logins
			}
			creds = credentials{user, password}
			return nil
		})
	case "LOGIN":
		mech = &loginServer{creds: &creds}
	default:
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
		if errors.Is(err, errAuthzid) {
			s.log.Info("login failed: authorization identity differs", "user", creds.user)
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
	return s.login(creds.user, creds.password)
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

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login): "Username:", then "Password:". A client's
// initial response is its user name.
type loginServer struct {
	creds *credentials
	step  int
}

func (l *loginServer) Next(resp []byte) (challenge []byte, done bool, err error) {
	if resp == nil && l.step == 0 {
		return []byte("Username:"), false, nil
	}
	switch l.step {
	case 0:
		l.creds.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	case 1:
		l.creds.password = string(resp)
		l.step++
		return nil, true, nil
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
