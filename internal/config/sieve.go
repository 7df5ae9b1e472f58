package config

import "path/filepath"

// Sieve configures the operator's Sieve scripts (README "Filters and
// vacation"), run at delivery around each account's own script.
type Sieve struct {
	// Before and After are script files run before and after the
	// account's active script, as one run (actions add up, stop ends all);
	// "" for none. They are compiled when the server starts: a script that
	// does not compile stops it.
	Before string `toml:"before"`
	After  string `toml:"after"`
	// GlobalDir holds the scripts that include :global "NAME" loads
	// (NAME.sieve in it, RFC 6609 §3.2); "" makes those includes fail.
	GlobalDir string `toml:"global_dir"`
	// VacationMinPeriod is the shortest period between two vacation
	// replies to one sender (RFC 6131 §2 lets a site raise a script's
	// :days or :seconds): a script's shorter period is raised to it.
	VacationMinPeriod Duration `toml:"vacation_min_period"`
}

func (s *Sieve) validate(p *problems) {
	for _, kv := range [][2]string{{"sieve.before", s.Before}, {"sieve.after", s.After}, {"sieve.global_dir", s.GlobalDir}} {
		if kv[1] != "" && !filepath.IsAbs(kv[1]) {
			p.add(kv[0], "%q must be an absolute path", kv[1])
		}
	}
	if s.VacationMinPeriod < 0 {
		p.add("sieve.vacation_min_period", "must not be negative")
	}
}
