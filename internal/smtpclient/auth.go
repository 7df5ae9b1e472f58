package smtpclient

import (
	"encoding/base64"
)

// authenticate logs in to the relay host with AUTH PLAIN (RFC 4954 §4,
// RFC 4616 §2) with an initial response, only over TLS. A relay host
// that does not offer AUTH PLAIN gets the mail without AUTH (it may
// allow relaying by address).
func (s *session) authenticate() (outcome, bool) {
	cfg := &s.c.cfg
	if !s.hop.relay || cfg.RelayUser == "" || !s.ext.authPlain() {
		return outcome{}, true
	}
	if s.tls == "" {
		return retry(tlsRequired(s.hop.host), nil), false
	}
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + cfg.RelayUser + "\x00" + cfg.RelayPassword))
	r, err := s.conn.cmd("AUTH PLAIN "+resp, cfg.CommandTimeout)
	if err == nil && r.Code == 334 { // the server wants the response on its own line
		r, err = s.conn.cmd(resp, cfg.CommandTimeout)
	}
	if err != nil {
		return retry(lostConnection(s.hop.host, s.ip, s.hop.port, "authenticating"), err), false
	}
	if r.Code != 235 {
		return retry(authFailed(s.hop.host, r), nil), false
	}
	return outcome{}, true
}
