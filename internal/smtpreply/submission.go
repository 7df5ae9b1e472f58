package smtpreply

// The replies of the submission service: AUTH (RFC 4954) and the sender
// rules (RFC 6409).

// AuthSucceeded: 235 2.7.0 (RFC 4954 §6).
func AuthSucceeded() *Reply { return New(235, Enhanced{2, 7, 0}, "Authentication successful") }

// AuthChallenge is a 334 server challenge, base64-encoded (RFC 4954 §4);
// an empty challenge is "334 ".
func AuthChallenge(b64 string) *Reply { return New(334, Enhanced{}, "%s", b64) }

// AuthRequired: 530 5.7.0, MAIL before AUTH on a submission port (RFC
// 4954 §6).
func AuthRequired() *Reply { return New(530, Enhanced{5, 7, 0}, "Authentication required") }

// AuthFailed: 535 5.7.8, the credentials are invalid (RFC 4954 §6).
func AuthFailed() *Reply {
	return New(535, Enhanced{5, 7, 8}, "Authentication credentials invalid")
}

// AuthTemporaryFailure: 454 4.7.0 (RFC 4954 §6), e.g. the password
// could not be checked; ref, when set, names the log line.
func AuthTemporaryFailure(ref string) *Reply {
	if ref != "" {
		return New(454, Enhanced{4, 7, 0}, "Temporary authentication failure (ref %s)", ref)
	}
	return New(454, Enhanced{4, 7, 0}, "Temporary authentication failure, try again later")
}

// AuthClientBlocked: 421 4.7.0, the client failed to log in too often; the
// connection is closed.
func AuthClientBlocked(host string) *Reply {
	return New(421, Enhanced{4, 7, 0}, "%s Too many failed logins, try again later", host)
}

// EncryptionRequired: 538 5.7.11, AUTH before TLS (RFC 4954 §6).
func EncryptionRequired() *Reply {
	return New(538, Enhanced{5, 7, 11}, "Encryption required for requested authentication mechanism")
}

// UnknownMechanism: 504 5.5.4, an unsupported SASL mechanism (RFC 4954 §4).
func UnknownMechanism() *Reply {
	return New(504, Enhanced{5, 5, 4}, "Unrecognized authentication type")
}

// BadBase64: 501 5.5.2, a SASL response that is not base64 (RFC 4954 §4).
func BadBase64() *Reply { return New(501, Enhanced{5, 5, 2}, "Cannot decode response") }

// AuthCancelled: 501 5.7.0, the client answered "*" (RFC 4954 §4).
func AuthCancelled() *Reply { return New(501, Enhanced{5, 7, 0}, "Authentication cancelled") }

// AuthLineTooLong: 500 5.5.6, a SASL response over the line limit (RFC
// 4954 §6).
func AuthLineTooLong() *Reply {
	return New(500, Enhanced{5, 5, 6}, "Authentication exchange line is too long")
}

// SenderNotOwned: 553 5.7.1, the envelope sender or a From: address is not
// one the authenticated user may send as (RFC 6409 §6.1, RFC 3463 X.7.1).
func SenderNotOwned(addr string) *Reply {
	return New(553, Enhanced{5, 7, 1}, "<%s>: Sender address not owned by the authenticated user", addr)
}

// NoValidFrom: 554 5.6.0, a submitted message without a From: field that
// can be read (RFC 5322 §3.6 requires one).
func NoValidFrom() *Reply {
	return New(554, Enhanced{5, 6, 0}, "Message has no valid From: header field")
}

// RelayUnavailable: 451 4.3.5, an authenticated user's mail to another
// domain while outbound delivery is not set up (RFC 3463 X.3.5 "System
// incorrectly configured").
func RelayUnavailable(addr string) *Reply {
	return New(451, Enhanced{4, 3, 5}, "<%s>: Delivery to other domains is not available; try again later", addr)
}
