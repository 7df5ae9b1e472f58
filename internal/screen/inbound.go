package screen

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/greylist"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/spfcheck"
)

// FieldName is the header field that reports screening on mail accepted
// on the MX (README "Spam and abuse").
const FieldName = "X-Spam-Screen"

// InboundConfig configures the screening of messages on the MX, after
// the data and the SPF, DKIM and DMARC checks.
type InboundConfig struct {
	// Hostname opens the X-Spam-Screen field, as the authserv-id opens
	// Authentication-Results (RFC 8601 §2.2), so that a reader can tell
	// this server's field from one the sender wrote.
	Hostname string
	// Greylist, when set, greylists messages (RFC 6647) but those of
	// authenticated clients, of clients on a DNS allowlist, and those
	// for which SPF or DKIM passes for one of ExemptDomains (a domain
	// or, with a leading ".", its subdomains; "*" is any domain).
	Greylist      *greylist.Greylist
	ExemptDomains []string
}

// Inbound decides on messages on the MX after the checks (the delivery
// path's Screener): greylisting, and the X-Spam-Screen field.
type Inbound struct {
	cfg InboundConfig
	m   *Metrics
	log *slog.Logger
}

// NewInbound returns the message-time screening; a nil m gets metrics
// registered nowhere.
func NewInbound(cfg InboundConfig, m *Metrics, log *slog.Logger) *Inbound {
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Inbound{cfg: cfg, m: m, log: log}
}

// Screen decides on one message: a 451 4.7.1 for a greylisted one, else
// the X-Spam-Screen field to prepend (folded, CRLF-terminated). A
// failure of the store lets the message through (logged): greylisting
// must not lose mail.
func (in *Inbound) Screen(ctx context.Context, env *envelope.Envelope, v msgauth.Verdict) (string, *smtpreply.Reply) {
	grey := "off"
	if in.cfg.Greylist != nil {
		var r *smtpreply.Reply
		if grey, r = in.greylist(ctx, env, v); r != nil {
			return "", r
		}
	}
	return in.field(env.Screening, grey), nil
}

// greylist runs greylisting on a message: its result for the field, or
// the refusal.
func (in *Inbound) greylist(ctx context.Context, env *envelope.Envelope, v msgauth.Verdict) (string, *smtpreply.Reply) {
	if why := in.exempt(env, v); why != "" {
		in.m.decide("greylist", "exempt")
		in.log.Debug("screen: greylisting exempt", append(env.LogAttrs(), "why", why)...)
		return "exempt (" + why + ")", nil
	}
	rcpts := make([]string, len(env.Recipients))
	for i, r := range env.Recipients {
		rcpts[i] = r.Addr.String()
	}
	out, err := in.cfg.Greylist.Check(ctx, env.ClientIP, env.ReversePath(), rcpts)
	switch {
	case err != nil:
		in.m.decide("greylist", "error")
		in.log.Error("screen: greylisting failed, message let through", append(env.LogAttrs(), "err", err)...)
		return "error", nil
	case !out.Pass:
		in.m.decide("greylist", "defer")
		in.log.Info("screen: greylisted", append(env.LogAttrs(), "from", env.ReversePath(),
			"rcpts", len(rcpts), "retry_in_s", int(out.Wait/time.Second))...)
		return "", smtpreply.Greylisted(out.Wait)
	}
	in.m.decide("greylist", out.How)
	in.log.Debug("screen: greylisting passed", append(env.LogAttrs(), "how", out.How)...)
	return out.How, nil
}

// exempt says why a message skips greylisting, or "".
func (in *Inbound) exempt(env *envelope.Envelope, v msgauth.Verdict) string {
	switch {
	case env.AuthAccount != "":
		return "authenticated"
	case env.Screening != nil && env.Screening.Allowed != "":
		return "dnswl " + env.Screening.Allowed
	case v.SPF.Result == spfcheck.Pass && in.exemptDomain(v.SPF.Domain):
		return "spf " + v.SPF.Domain
	}
	for _, d := range v.DKIM {
		if d.Status == dkim.Pass && in.exemptDomain(d.Domain) {
			return "dkim " + d.Domain
		}
	}
	return ""
}

// exemptDomain matches d against ExemptDomains.
func (in *Inbound) exemptDomain(d string) bool {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if d == "" {
		return false
	}
	for _, e := range in.cfg.ExemptDomains {
		switch {
		case e == "*", e == d:
			return true
		case strings.HasPrefix(e, ".") && strings.HasSuffix(d, e):
			return true
		}
	}
	return false
}

// field is the X-Spam-Screen field: what the DNS lists said and what
// greylisting did, e.g.
//
//	X-Spam-Screen: mx.example.org; dnsbl=1/2 (bl.example.net);
//		dnswl=none; greylist=retried
func (in *Inbound) field(s *envelope.Screening, grey string) string {
	parts := []string{in.cfg.Hostname}
	if s != nil {
		bl := "off"
		if s.Threshold > 0 {
			bl = fmt.Sprintf("%d/%d", s.Score, s.Threshold)
			if len(s.Listed) > 0 {
				bl += " (" + strings.Join(s.Listed, ", ") + ")"
			}
		}
		wl := "none"
		if s.Allowed != "" {
			wl = s.Allowed
		}
		parts = append(parts, "dnsbl="+bl, "dnswl="+wl)
		if len(s.Unanswered) > 0 {
			parts = append(parts, "unanswered="+strings.Join(s.Unanswered, ","))
		}
	}
	parts = append(parts, "greylist="+grey)
	return FieldName + ": " + strings.Join(parts, ";\r\n\t") + "\r\n"
}
