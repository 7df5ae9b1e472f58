package config

import (
	"net/url"
	"time"
)

// Rspamd is the content filter (README "Spam and abuse"): rspamd beside
// Petrel, asked over HTTP.
type Rspamd struct {
	// URL is rspamd's normal worker ("http://127.0.0.1:11333"); "" turns
	// the content filter off (no call).
	URL string `toml:"url"`
	// ControllerURL is rspamd's controller ("http://127.0.0.1:11334"),
	// which learns from IMAP moves into and out of Junk; "" learns
	// nothing.
	ControllerURL string `toml:"controller_url"`
	// Password is the controller's password (sent to both workers).
	Password string `toml:"password"`
	// Timeout bounds one scan; MaxConcurrent the scans in flight.
	Timeout       Duration `toml:"timeout"`
	MaxConcurrent int      `toml:"max_concurrent"`
	// OnFailure is what becomes of a message rspamd could not scan:
	// "accept" (delivered, X-Spam-Status: Unscanned) or "tempfail" (451).
	OnFailure string `toml:"on_failure"`
	// ScanSubmission scans submitted mail too (what rspamd rejects is held
	// in the queue: README "Spam and abuse").
	ScanSubmission bool `toml:"scan_submission"`
}

// SendLimits bound what one authenticated account sends (README "Spam
// and abuse"); 0 is no limit. petrel account limits overrides them per
// account.
type SendLimits struct {
	MessagesPerHour   int `toml:"messages_per_hour"`
	MessagesPerDay    int `toml:"messages_per_day"`
	RecipientsPerHour int `toml:"recipients_per_hour"`
	RecipientsPerDay  int `toml:"recipients_per_day"`
}

func defaultRspamd() Rspamd {
	return Rspamd{Timeout: Duration(10 * time.Second), MaxConcurrent: 32, OnFailure: "accept"}
}

func (r *Rspamd) validate(p *problems) {
	for _, u := range []struct{ key, val string }{{"rspamd.url", r.URL}, {"rspamd.controller_url", r.ControllerURL}} {
		if u.val == "" {
			continue
		}
		if parsed, err := url.Parse(u.val); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			p.add(u.key, "%q: must be an http:// or https:// URL", u.val)
		}
	}
	if r.Timeout <= 0 || r.Timeout > Duration(5*time.Minute) {
		p.add("rspamd.timeout", "%v: must be over 0 and at most 5m", r.Timeout)
	}
	if r.MaxConcurrent < 1 || r.MaxConcurrent > 10000 {
		p.add("rspamd.max_concurrent", "%d: must be from 1 to 10000", r.MaxConcurrent)
	}
	oneOf(p, "rspamd.on_failure", r.OnFailure, "accept", "tempfail")
}

func (l *SendLimits) validate(p *problems) {
	for _, v := range []struct {
		key string
		n   int
	}{{"send_limits.messages_per_hour", l.MessagesPerHour}, {"send_limits.messages_per_day", l.MessagesPerDay},
		{"send_limits.recipients_per_hour", l.RecipientsPerHour}, {"send_limits.recipients_per_day", l.RecipientsPerDay}} {
		if v.n < 0 {
			p.add(v.key, "%d: must be 0 (no limit) or more", v.n)
		}
	}
}
