package config

// maxDKIMVerify bounds dkim.max_verify: each signature costs a DNS query
// and a public-key operation (RFC 6376 §6.1 and §8.4: verifiers limit
// the signatures they check against denial of service).
const maxDKIMVerify = 50

func (d *DKIM) validate(p *problems) {
	positive(p, "dkim.max_verify", d.MaxVerify)
	if d.MaxVerify > maxDKIMVerify {
		p.add("dkim.max_verify", "%d: must be at most %d", d.MaxVerify, maxDKIMVerify)
	}
}

func (d *DMARC) validate(p *problems) {
	oneOf(p, "dmarc.reject", d.Reject, "reject", "quarantine")
}
