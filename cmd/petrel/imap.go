package main

import (
	"path/filepath"

	"github.com/petrelmail/petrel/internal/imapd"
	"github.com/petrelmail/petrel/internal/spool"
)

// metadataAdmin is the server's /shared/admin METADATA entry (RFC 5464
// §3.2.1.1): the postmaster (delivery.postmaster, else postmaster at the
// hostname).
func metadataAdmin(d deps) string {
	if pm := d.cfg.Delivery.Postmaster; pm != "" {
		return "mailto:" + pm
	}
	return "mailto:postmaster@" + d.cfg.Hostname
}

// imapBindings builds the IMAP servers: listen.imap (STARTTLS) and
// listen.imaps (implicit TLS, RFC 8314). Both share one failed-login guard and the [imap] connection limits, which count
// the connections of both listeners together (Deps.Limits).
func imapBindings(d deps) []binding {
	lim := d.cfg.IMAP
	base := imapd.Config{
		TLS:                 d.tls,
		AllowInsecureAuth:   d.cfg.TLS.AllowInsecureAuth,
		MaxMessageSize:      int64(d.cfg.Delivery.MaxMessageSize),
		SpoolDir:            filepath.Join(d.cfg.DataDir, "spool"),
		MaxConnections:      lim.MaxConnections,
		MaxConnectionsPerIP: lim.MaxConnectionsPerIP,
		IdleTimeout:         lim.IdleTimeout.D(),
		LoginTimeout:        lim.LoginTimeout.D(),
		MaxLineLength:       int(lim.MaxLineLength),
		MaxLiteral:          int64(lim.MaxLiteral),
		MaxBadCommands:      lim.MaxBadCommands,
		MetadataAdmin:       metadataAdmin(d),
	}
	id := imapd.Deps{
		Store:  d.st,
		Auth:   d.accounts,
		Guard:  d.guard,
		Log:    d.log,
		Limits: serviceLimits(d, "imap", lim.MaxConnections, lim.MaxConnectionsPerIP),
		Space:  spool.NewSpace(d.cfg.DataDir, int64(d.cfg.Storage.MinFreeSpace)),
		// One set of metrics for both listeners (label "listener").
		Metrics: imapd.NewMetrics(d.metrics.Registry),
		Junk:    d.spam.junkReporter(),
		// Shared mailboxes (README "Shared mailboxes").
		ACL: d.st,
	}
	plain := base
	plain.Name = "imap"
	implicit := base
	implicit.Name, implicit.ImplicitTLS = "imaps", true
	return []binding{
		{key: "listen.imap", addrs: d.cfg.Listen.IMAP, srv: imapd.New(plain, id)},
		{key: "listen.imaps", addrs: d.cfg.Listen.IMAPS, srv: imapd.New(implicit, id)},
	}
}
