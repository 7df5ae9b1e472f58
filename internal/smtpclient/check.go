package smtpclient

// check refuses, for every recipient and before MAIL, what the server has
// said it cannot take: a message needing SMTPUTF8 when it lacks the
// extension (RFC 6531 §3.2), an 8-bit message that cannot be converted
// for a server without 8BITMIME (RFC 6152 §3) or a message whose lines
// over 998 octets cannot be encoded (downgrade.go), or a message over its
// SIZE (RFC 1870 §6.1), converted size included.
func (s *session) check() (outcome, bool) {
	n := len(s.m.Rcpts)
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
