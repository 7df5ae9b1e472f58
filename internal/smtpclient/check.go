package smtpclient

// check refuses, for every recipient and before MAIL, what the server has
// said it cannot take: a message needing SMTPUTF8 when it lacks the
// extension (RFC 6531 §3.2), an 8-bit message that cannot be converted
// for a server without 8BITMIME (RFC 6152 §3) or a message whose lines
// over 998 octets cannot be encoded (downgrade.go), or a message over its
// SIZE (RFC 1870 §6.1), converted size included; and a REQUIRETLS
// message where the TLS was not authenticated or the server does not
// offer REQUIRETLS (RFC 8689 §4.2.1: the next host is tried).
func (s *session) check() (outcome, bool) {
	n := len(s.m.Rcpts)
	if out, ok := s.checkRequireTLS(); !ok {
		return out, false
	}
	if s.m.SMTPUTF8 && !s.ext.has("SMTPUTF8") {
		return decided(n, needsUTF8(s.hop.host, needsUTF8Addresses(s.m))), false
	}
	if out, ok := s.downgrade(); !ok {
		return out, false
	}
	if limit := s.ext.maxSize(); limit > 0 && s.m.Size > limit {
		return decided(n, tooBig(s.hop.host, s.m.Size, limit)), false
	}
	return outcome{}, true
}

// checkRequireTLS: a message with REQUIRETLS goes only over TLS whose
// certificate passed the policy's check (DANE, MTA-STS, or the Web PKI)
// to a server that offers REQUIRETLS (RFC 8689 §4.2.1); otherwise the
// next host is tried, and the message fails with 5.7.10 when none can
// take it (§5).
func (s *session) checkRequireTLS() (outcome, bool) {
	switch {
	case !s.m.RequireTLS:
		return outcome{}, true
	case s.tls == "" || !s.verified:
		return retry(requireTLSUnmet(s.hop.host, "TLS with it was not authenticated"), nil), false
	case !s.ext.has("REQUIRETLS"):
		return retry(requireTLSNotOffered(s.hop.host), nil), false
	}
	return outcome{}, true
}
