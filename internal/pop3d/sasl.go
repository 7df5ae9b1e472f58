package pop3d

import (
	"encoding/base64"
	"errors"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/scram"
)

// authenticate is AUTH (RFC 5034 §4) with SCRAM-SHA-256 and, over TLS,
// SCRAM-SHA-256-PLUS (RFC 7677), PLAIN (RFC 4616) and LOGIN. An initial
// response is accepted ("=" for an empty one). Without arguments it lists
// the mechanisms, as many clients probe with it.
func (s *session) authenticate(args []string) Reply {
	if !s.authAllowed() {
		return replyNeedTLS
	}
	if len(args) == 0 {
		return Reply{OK: true, Text: "Mechanisms follow", Multi: true, Lines: s.mechanisms()}
	}
	if len(args) > 2 {
		return replySyntax
	}
	var creds accounts.Credentials
	mech := s.srv.auth.NewSASLServer(s.srv.ctx, args[0], scram.ConnExporter(s.c.Raw()), &creds)
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
	return s.login(creds)
}

// mechanisms are the SASL mechanisms of this connection: -PLUS only with
// TLS channel binding data (RFC 5802 §6).
func (s *session) mechanisms() []string {
	return accounts.SASLMechanisms(scram.ConnExporter(s.c.Raw()))
}

// finishSCRAM sends a SCRAM login's server-final message as the last
// challenge and takes the client's empty response (RFC 5034 §4 has no
// additional data with success); ok is true for the other mechanisms.
func (s *session) finishSCRAM(creds accounts.Credentials) (Reply, bool) {
	final := creds.ServerFinal()
	if final == nil {
		return Reply{}, true
	}
	if !s.send(Reply{Continue: true, Text: base64.StdEncoding.EncodeToString(final)}) {
		return Reply{Close: true}, false
	}
	line, err := s.readLine(s.srv.cfg.MaxSASLLineLength)
	switch {
	case errors.Is(err, errLineTooLong):
		return replyLineTooLong, false
	case err != nil:
		return Reply{Close: true}, false
	case line == "*":
		return replyAuthCancelled, false
	case line != "" && line != "=":
		return replyBadSASL, false
	}
	return Reply{}, true
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
