package smtpclient

// check refuses, for every recipient and before MAIL, what the server has
// said it cannot take: a message over its SIZE (RFC 1870 §6.1) or one
// needing SMTPUTF8 when it lacks the extension (RFC 6531 §3.2).
func (s *session) check() (outcome, bool) {
	n := len(s.m.Rcpts)
	if limit := s.ext.maxSize(); limit > 0 && s.m.Size > limit {
		return decided(n, tooBig(s.hop.host, s.m.Size, limit)), false
	}
	if s.m.SMTPUTF8 && !s.ext.has("SMTPUTF8") {
		return decided(n, needsUTF8(s.hop.host, needsUTF8Addresses(s.m))), false
	}
	return outcome{}, true
}
