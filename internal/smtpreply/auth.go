package smtpreply

// The replies of inbound mail authentication (SPF, DKIM, DMARC) at the
// end of DATA. domain is a domain name in A-label form.

// DMARCRejected: 550 5.7.1, the message fails DMARC and the policy of its
// From domain is reject (RFC 7489 §6.6.4, §10.3; RFC 3463 X.7.1).
func DMARCRejected(domain string) *Reply {
	return New(550, Enhanced{5, 7, 1},
		"Message rejected: it fails the DMARC policy of %s (the From domain)", domain)
}

// SPFTempError: 451 4.7.24, the SPF check that DMARC needs for domain
// failed temporarily (RFC 7372 §3.2: "SPF validation error").
func SPFTempError(domain string) *Reply {
	return New(451, Enhanced{4, 7, 24},
		"SPF check failed temporarily (DMARC policy of %s); try again later", domain)
}

// DKIMTempError: 451 4.7.5, the DKIM key lookup that DMARC needs for
// domain failed temporarily (RFC 3463 X.7.5).
func DKIMTempError(domain string) *Reply {
	return New(451, Enhanced{4, 7, 5},
		"DKIM key lookup failed temporarily (DMARC policy of %s); try again later", domain)
}

// DMARCTempError: 451 4.7.1, the DMARC policy of domain could not be
// looked up for now. RFC 7372 defines no code for it; X.7.x keeps every
// authentication refusal in the security class (RFC 3463 §3.8), as the
// SPF and DKIM ones are, and X.7.1 with a 4 is "not authorised now".
func DMARCTempError(domain string) *Reply {
	return New(451, Enhanced{4, 7, 1},
		"DMARC policy lookup for %s failed temporarily; try again later", domain)
}
