package main

import (
	"context"
	"net/netip"

	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/dnsr"
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
			listResolver(d.dns), m)
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

// listResolver is the resolver of the DNS lists: the server's, which asks
// for A records alone (dnsr.Client.LookupA), else its IPv4 addresses.
func listResolver(r dnsr.Resolver) screen.Resolver {
	if lr, ok := r.(screen.Resolver); ok {
		return lr
	}
	return ipv4Only{r}
}

type ipv4Only struct{ dnsr.Resolver }

func (r ipv4Only) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	addrs, err := r.LookupIP(ctx, name)
	var v4 []netip.Addr
	for _, a := range addrs {
		if a.Unmap().Is4() {
			v4 = append(v4, a.Unmap())
		}
	}
	return v4, err
}
