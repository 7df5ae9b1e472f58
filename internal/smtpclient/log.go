package smtpclient

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// logAttempt writes the one line per delivery attempt: where, TLS, the
// deciding reply, how many recipients were accepted.
func (c *Client) logAttempt(domain string, m *Message, a attempt, d time.Duration) {
	attrs := append(slices.Clip(m.LogAttrs),
		"domain", domain, "host", a.hop.host, "port", a.hop.port,
		"tls", a.tls != "", "rcpts", len(m.Rcpts), "accepted", accepted(a.out), "duration_ms", d.Milliseconds())
	if a.tls != "" {
		attrs = append(attrs, "tls_version", a.tls)
	}
	if a.policy != "" { // README "Outbound TLS policy"
		attrs = append(attrs, "tls_policy", a.policy)
	}
	if a.ip.IsValid() {
		attrs = append(attrs, "ip", a.ip.String())
	}
	if r := a.out.reply; r != nil {
		attrs = append(attrs, "reply", strings.ReplaceAll(r.Error(), "\n", " / "))
	}
	if a.out.err != nil {
		attrs = append(attrs, "err", a.out.err.Error())
	}
	level := slog.LevelInfo
	if a.out.next {
		level = slog.LevelWarn
	}
	c.log.Log(context.Background(), level, "delivery attempt", attrs...)
}

// accepted counts positive per-recipient replies.
func accepted(o outcome) int {
	n := 0
	for _, r := range o.per {
		if r != nil && r.Positive() {
			n++
		}
	}
	return n
}
