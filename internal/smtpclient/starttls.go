package smtpclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dane"
)

// errInjected: the server sent data after its reply to STARTTLS, which
// would be read as if it came over TLS (RFC 3207 §5, CVE-2011-0411).
var errInjected = errors.New("data after the STARTTLS reply")

// needTLS: the session must be encrypted (RequireTLS, credentials to send
// to the relay host, or the host's TLS policy: DANE, MTA-STS enforce,
// REQUIRETLS).
func (s *session) needTLS() bool {
	return s.c.cfg.RequireTLS || s.relayCredentials() || s.pol.tlsNeeded
}

// mustVerify: a certificate that fails its check ends the handshake
// (else the failure is only reported: MTA-STS testing, TLS-Required: No).
func (s *session) mustVerify() bool {
	return s.c.cfg.RequireTLS || s.pol.enforce || s.relayCredentials()
}

// relayCredentials: the session will send the relay host's AUTH
// credentials, which only a relay host whose certificate is valid for
// its name may get (not whoever is on the path).
func (s *session) relayCredentials() bool { return s.hop.relay && s.c.cfg.RelayUser != "" }

// secure runs STARTTLS when the server offers it (RFC 3207 §4), then EHLO
// again (§4.2). A refused STARTTLS goes on without TLS unless TLS is
// needed; a failed handshake asks for a new connection without TLS,
// unless TLS is needed (a policy is never downgraded to plaintext, RFC
// 7672 §2.2, RFC 8461 §5).
func (s *session) secure() (outcome, bool) {
	if !s.useTLS {
		return s.plaintext()
	}
	s.tlsTried = true
	if !s.ext.has("STARTTLS") {
		s.noSTARTTLS = true
		return s.plaintext()
	}
	r, err := s.conn.cmd("STARTTLS", s.c.cfg.CommandTimeout)
	if err != nil {
		s.tlsTried = false // nothing to report: the connection broke
		return retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending STARTTLS"), err), false
	}
	if r.Code != 220 {
		s.noSTARTTLS = true
		return s.plaintext()
	}
	err = errInjected
	if s.conn.r.Buffered() == 0 {
		err = s.handshake()
	}
	if err != nil {
		s.tlsErr = err
		reply := lostConnection(s.hop.host, s.ip, s.hop.port, "starting TLS")
		if s.verifyErr != nil {
			reply = policyFailure(s.hop.host, s.pol, describe(s.pol, s.verifyErr))
		}
		out := retry(reply, err)
		out.tlsFailed = true
		return out, false
	}
	return s.ehlo()
}

// plaintext goes on without TLS when that is allowed: never under a
// policy that needs TLS (a downgrade, RFC 7672 §2.2), nor for a
// REQUIRETLS message (RFC 8689 §4.2.1).
func (s *session) plaintext() (outcome, bool) {
	switch {
	case !s.needTLS():
		return outcome{}, true
	case s.pol.typ != policyNone:
		return retry(policyFailure(s.hop.host, s.pol, "STARTTLS not offered"), nil), false
	case s.pol.requireTLS:
		return retry(requireTLSUnmet(s.hop.host, "it does not offer STARTTLS"), nil), false
	}
	return retry(tlsRequired(s.hop.host), nil), false
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

// tlsConfig: the configured template, with the host name as SNI (RFC
// 7672 §8.1, RFC 8461 §4.2) and the certificate checked by verify:
// opportunistic TLS otherwise (RFC 7435 §1.3).
func (s *session) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if s.c.cfg.TLSConfig != nil {
		cfg = s.c.cfg.TLSConfig.Clone()
	}
	if net.ParseIP(s.hop.host) == nil {
		cfg.ServerName = s.hop.host
	}
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = s.verify
	return cfg
}

// verify checks the server's certificate as the policy says: against the
// host's TLSA records (DANE, RFC 7672 §3), or by the Web PKI for the host
// name (MTA-STS, RFC 8461 §4.2; Config.RequireTLS; REQUIRETLS). A failure
// ends the handshake when it must (mustVerify), else it is only kept for
// the report.
func (s *session) verify(cs tls.ConnectionState) (err error) {
	// The certificates are the peer's: a check that panics on them
	// (DANE-TA on the leaf once did) fails this handshake, never the
	// process.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("certificate check failed: %v", r)
			s.verifyErr, s.verified = err, false
		}
	}()
	switch {
	case len(s.pol.tlsa) > 0:
		err = dane.Verify(s.pol.tlsa, cs.PeerCertificates, []string{s.hop.host}, s.now())
	case s.pol.verify || s.c.cfg.RequireTLS || s.relayCredentials():
		err = s.verifyPKIX(cs.PeerCertificates)
	default:
		return nil
	}
	s.verifyErr, s.verified = err, err == nil
	if err != nil && s.mustVerify() {
		return err
	}
	return nil
}

// verifyPKIX checks the chain up to the template's root CAs (nil: the
// system's) for the host name.
func (s *session) verifyPKIX(chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return dane.ErrNoCertificate
	}
	opts := x509.VerifyOptions{DNSName: s.hop.host, Intermediates: x509.NewCertPool(), CurrentTime: s.now()}
	if t := s.c.cfg.TLSConfig; t != nil {
		opts.Roots = t.RootCAs
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := chain[0].Verify(opts)
	return err
}

// now is the template's clock, for certificate checks.
func (s *session) now() time.Time {
	if t := s.c.cfg.TLSConfig; t != nil && t.Time != nil {
		return t.Time()
	}
	return time.Now()
}
