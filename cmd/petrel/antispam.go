package main

import (
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/greylist"
	"github.com/petrelmail/petrel/internal/screen"
)

// antispam builds the screening of the MX from [antispam] (README "Spam
// and abuse"): the connection screening for smtpd and the message-time
// screening (greylisting, the X-Spam-Screen field) for delivery; nil
// for what is off.
func antispam(d deps) (*screen.Screen, delivery.Screener) {
	a := &d.cfg.Antispam
	m := screen.NewMetrics(d.metrics.Registry)
	var conn *screen.Screen
	if a.Screening() {
		bl, wl := a.Lists()
		conn = screen.New(screen.Config{Hostname: d.cfg.Hostname,
			PregreetWait: a.PregreetWait.D(), PregreetTTL: a.PregreetTTL.D(),
			Blocklists: bl, Allowlists: wl, Threshold: a.DNSBLThreshold, LookupTimeout: a.DNSTimeout.D(),
			ConnectionRate: a.ConnectionRate, MessageRate: a.MessageRate, RecipientRate: a.RecipientRate},
			d.dns, m)
	}
	if !a.Greylist.Enabled && len(a.DNSBL)+len(a.DNSWL) == 0 {
		return conn, nil // nothing to report in a field
	}
	in := screen.InboundConfig{Hostname: d.cfg.Hostname, ExemptDomains: a.Greylist.ExemptDomains}
	if g := a.Greylist; g.Enabled {
		in.Greylist = greylist.New(greylist.Config{Delay: g.Delay.D(), RetryWindow: g.RetryWindow.D(),
			Expiry: g.Expiry.D()}, d.st)
	}
	return conn, screen.NewInbound(in, m, d.log.With("component", "screen"))
}
