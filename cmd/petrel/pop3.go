package main

import (
	"crypto/tls"
	"net"

	"github.com/petrelmail/petrel/internal/pop3d"
)

// pop3Bindings builds the POP3 servers of listen.pop3 (STLS, RFC 2595)
// and listen.pop3s (implicit TLS, RFC 8314), each logging under its own
// listener name. Both share the maildrop locks ([IN-USE], in the store),
// the failed-login guard, the [pop3] connection limits and the metrics.
func pop3Bindings(d deps) []binding {
	cfg := pop3d.Config{
		Hostname:            d.cfg.Hostname,
		TLS:                 d.tls,
		AllowInsecureAuth:   d.cfg.TLS.AllowInsecureAuth,
		IdleTimeout:         d.cfg.POP3.IdleTimeout.D(),
		MaxBadCommands:      d.cfg.POP3.MaxBadCommands,
		MaxConnections:      d.cfg.POP3.MaxConnections,
		MaxConnectionsPerIP: d.cfg.POP3.MaxConnectionsPerIP,
	}
	pd := pop3d.Deps{
		Store:    d.st,
		Auth:     d.accounts,
		Throttle: d.guard,
		Logger:   d.log,
		Limits:   serviceLimits(d, "pop3", d.cfg.POP3.MaxConnections, d.cfg.POP3.MaxConnectionsPerIP),
		Metrics:  pop3d.NewMetrics(d.metrics.Registry),
	}
	plain, implicit := cfg, cfg
	plain.Name, implicit.Name = "pop3", "pop3s"
	implicitTLS := func(addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		return tls.NewListener(ln, d.tls), nil
	}
	return []binding{
		{key: "listen.pop3", addrs: d.cfg.Listen.POP3, srv: pop3d.New(plain, pd)},
		{key: "listen.pop3s", addrs: d.cfg.Listen.POP3S, srv: pop3d.New(implicit, pd), listen: implicitTLS},
	}
}
