package config

// SRS configures the Sender Rewriting Scheme of forwarded mail (README
// "Forwarding and SRS"; internal/srs).
type SRS struct {
	// Enabled rewrites the reverse path of forwarded copies (remote
	// alias targets, Sieve redirects) and routes the bounces to those
	// addresses back to the original sender.
	Enabled bool `toml:"enabled"`
	// MaxAgeDays is how long an SRS address takes bounces (1-1023).
	MaxAgeDays int `toml:"max_age_days"`
	// Domain is the domain of the SRS addresses ("" = the domain of the
	// forwarding address). Its MX must be this server.
	Domain string `toml:"domain"`
}

func defaultSRS() SRS { return SRS{Enabled: true, MaxAgeDays: 21} }

func (s *SRS) validate(p *problems) {
	if s.MaxAgeDays < 1 || s.MaxAgeDays > 1023 {
		p.add("srs.max_age_days", "must be 1-1023 (the day stamp wraps after 1024 days)")
	}
	if s.Domain != "" && !validDomain(s.Domain) {
		p.add("srs.domain", "%q is not a valid domain name (letters, digits and hyphens; xn-- form for international names)", s.Domain)
	}
}
