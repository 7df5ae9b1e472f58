package main

import (
	"github.com/petrelmail/petrel/internal/managesieve"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
)

// manageSieveBindings builds the ManageSieve server of listen.managesieve
// (RFC 5804, STARTTLS): the accounts' scripts in the store, where
// delivery finds them, the accounts and failed-login guard of IMAP and
// POP3, the [managesieve] limits (README "ManageSieve").
func manageSieveBindings(d deps) []binding {
	c := d.cfg.ManageSieve
	cfg := managesieve.Config{
		Hostname:            d.cfg.Hostname,
		TLS:                 d.tls,
		AllowInsecureAuth:   d.cfg.TLS.AllowInsecureAuth,
		IdleTimeout:         c.IdleTimeout.D(),
		MaxScriptSize:       int(c.MaxScriptSize),
		MaxConnections:      c.MaxConnections,
		MaxConnectionsPerIP: c.MaxConnectionsPerIP,
	}
	lim := sieve.Limits{MaxScriptSize: int(c.MaxScriptSize)}
	md := managesieve.Deps{
		Scripts:      sievescripts.New(d.st, lim),
		Auth:         d.accounts,
		Extensions:   sieve.Capabilities(),
		MaxRedirects: sieve.DefaultLimits().MaxRedirects,
		Throttle:     d.guard,
		Logger:       d.log,
		Limits:       serviceLimits(d, "managesieve", c.MaxConnections, c.MaxConnectionsPerIP),
		Metrics:      managesieve.NewMetrics(d.metrics.Registry),
	}
	return []binding{{key: "listen.managesieve", addrs: d.cfg.Listen.ManageSieve, srv: managesieve.New(cfg, md)}}
}
