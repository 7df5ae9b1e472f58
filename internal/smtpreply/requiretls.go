package smtpreply

// RequireTLSWithoutTLS: 530 5.7.10, the REQUIRETLS MAIL parameter outside
// a TLS session (RFC 8689 §2: the option is only used, and offered, over
// TLS; X.7.10 is "Encryption needed", RFC 5248).
func RequireTLSWithoutTLS() *Reply {
	return New(530, Enhanced{5, 7, 10}, "REQUIRETLS needs a TLS session: use STARTTLS first")
}
