package smtpclient

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"time"
)

// errInjected: the server sent data after its reply to STARTTLS, which
// would be read as if it came over TLS (RFC 3207 §5, CVE-2011-0411).
var errInjected = errors.New("data after the STARTTLS reply")

// needTLS: the session must be encrypted (RequireTLS, or credentials to
// send to the relay host).
func (s *session) needTLS() bool {
	return s.c.cfg.RequireTLS || (s.hop.relay && s.c.cfg.RelayUser != "")
}

// secure runs STARTTLS when the server offers it (RFC 3207 §4), then EHLO
// again (§4.2). A refused STARTTLS goes on without TLS unless TLS is
// needed; a failed handshake asks for a new connection without TLS.
func (s *session) secure() (outcome, bool) {
	if !s.useTLS || !s.ext.has("STARTTLS") {
		return s.plaintext()
	}
	r, err := s.conn.cmd("STARTTLS", s.c.cfg.CommandTimeout)
	if err != nil {
		return retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending STARTTLS"), err), false
	}
	if r.Code != 220 {
		return s.plaintext()
	}
	err = errInjected
	if s.conn.r.Buffered() == 0 {
		err = s.handshake()
	}
	if err != nil {
		out := retry(lostConnection(s.hop.host, s.ip, s.hop.port, "starting TLS"), err)
		out.tlsFailed = true
		return out, false
	}
	return s.ehlo()
}

// plaintext goes on without TLS when that is allowed.
func (s *session) plaintext() (outcome, bool) {
	if s.needTLS() {
		return retry(tlsRequired(s.hop.host), nil), false
	}
	return outcome{}, true
}

// handshake makes the connection a TLS client connection.
func (s *session) handshake() error {
	tc := tls.Client(s.conn.nc, s.tlsConfig())
	_ = tc.SetDeadline(time.Now().Add(s.c.cfg.CommandTimeout))
	if err := tc.Handshake(); err != nil {
		return err
	}
	_ = tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	s.tls = strings.ReplaceAll(tls.VersionName(st.Version), " ", "") + " " + tls.CipherSuiteName(st.CipherSuite)
	s.conn.reset(tc)
	return nil
}

// tlsConfig: the configured template; the certificate is verified only
// when RequireTLS is set (opportunistic TLS otherwise, RFC 7435 §1.3).
func (s *session) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if s.c.cfg.TLSConfig != nil {
		cfg = s.c.cfg.TLSConfig.Clone()
	}
	if net.ParseIP(s.hop.host) == nil {
		cfg.ServerName = s.hop.host
	}
	cfg.InsecureSkipVerify = !s.c.cfg.RequireTLS
	return cfg
}
