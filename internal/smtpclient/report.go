package smtpclient

import (
	"net"
	"net/netip"
)

// report hands o to Config.TLSReport.
func (c *Client) report(o TLSOutcome) {
	if c.cfg.TLSReport != nil {
		c.cfg.TLSReport(o)
	}
}

// reportFor reports the outcome of policy p with its host, through the
// connection of s when there was one (nil: decided before connecting).
// Deliveries through a relay host or a static route are not reported:
// the recipient domain's policies did not apply.
func (c *Client) reportFor(p *tlsPolicy, s *session, result, detail string) {
	if p == nil || !p.mx || c.cfg.TLSReport == nil {
		return
	}
	o := TLSOutcome{PolicyType: p.typ, PolicyDomain: p.domain, PolicyStrings: p.strings, MXHost: p.host,
		ResultType: result, Detail: detail}
	if s != nil {
		o.ReceivingIP = s.ip
		if s.conn != nil {
			o.SendingIP = localIP(s.conn.nc)
		}
	}
	c.report(o)
}

// tlsResult is the TLS outcome of a session for its report and log line:
// "" for success, else the RFC 8460 §4.3 result type, with a detail;
// ok is false when the session has nothing to say (it did not get as
// far as STARTTLS, it ran on a cached connection, or it is the
// plaintext retry after a failed handshake).
func (s *session) tlsResult() (result, detail string, ok bool) {
	switch {
	case !s.tlsTried || s.reused:
		return "", "", false
	case s.noSTARTTLS:
		return resStartTLS, "STARTTLS not offered", true
	case s.verifyErr != nil:
		return resultType(s.verifyErr), s.verifyErr.Error(), true
	case s.tlsErr != nil:
		return resValidation, "TLS handshake failed: " + s.tlsErr.Error(), true
	case s.pol.typ == policyTLSA && len(s.pol.tlsa) == 0:
		// RFC 8460 §4.3.2.2; TLS was used, unauthenticated (RFC 7672 §2.2).
		return resTLSAInvalid, "no usable TLSA record", true
	}
	return "", "", true
}

// policyOutcome is the policy and its outcome for the log line and the
// result: "dane ok", "sts-testing certificate-expired", "none".
func (s *session) policyOutcome() string {
	name := s.pol.name()
	result, _, ok := s.tlsResult()
	switch {
	case !ok && s.reused && s.verified:
		return name + " ok"
	case !ok:
		return name
	case result == "":
		return name + " ok"
	}
	return name + " " + result
}

// localIP is the local address of a connection, for the reports.
func localIP(nc net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(nc.LocalAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
