package main

import (
	"context"
	"net"

	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/smtpd"
)

// smtpBindings builds the MX server (listen.smtp, STARTTLS, no AUTH), the
// LMTP server (listen.lmtp, TCP or unix sockets) and the submission servers
// (submission.go), all on the one delivery path and one set of metrics.
// Each service has its own [smtp] connection limits; LMTP, a trusted path,
// is left out of limits.max_connections_per_ip.
// Mail on the MX is authenticated (SPF, DKIM, DMARC) unless
// smtp.verify_senders is false.
func smtpBindings(d deps) []binding {
	rev := reverseName(d.dns)
	mxScreen, screener := antispam(d)
	dlv := delivery.New(delivery.Config{Hostname: d.cfg.Hostname, Queue: deliveryQueue(d), Signer: d.signer,
		Checker: inboundChecker(d, d.dns), Screener: screener, Policies: policies(d), Postmaster: d.cfg.Delivery.Postmaster,
		Filter: d.spam.deliveryFilter(), FilterSubmission: d.spam != nil && d.spam.scanSubmission,
		SendLimit: newSendLimiter(d.cfg, d.st, d.metrics, d.log),
		SRS:       newSRS(d), SRSDomain: d.cfg.SRS.Domain},
		d.accounts, d.st, d.log)
	m := smtpd.NewMetrics(d.metrics.Registry)
	mx := smtpd.FromConfig(d.cfg)
	mx.Name, mx.TLS = delivery.ListenerMX, d.tls
	mx.ReverseName = rev
	mx.Screen = mxScreen // [antispam], the MX only
	mx.Limits = serviceLimits(d, "smtp", mx.MaxConnections, mx.MaxConnectionsPerIP)
	lmtp := smtpd.FromConfig(d.cfg)
	// LMTP sits behind a trusted MTA on loopback or a socket: no STARTTLS.
	lmtp.Name, lmtp.LMTP = "lmtp", true
	lmtp.RcptErrors.Off = true // the MTA in front answers its own clients
	return append([]binding{
		{key: "listen.smtp", addrs: d.cfg.Listen.SMTP, srv: smtpd.New(mx, dlv, d.log, m), listen: listenMX},
		{key: "listen.lmtp", addrs: d.cfg.Listen.LMTP, srv: smtpd.New(lmtp, dlv, d.log, m), listen: smtpd.Listen},
	}, submissionBindings(d, dlv, m, rev)...)
}

// listenMX listens for the MX without TCP keepalives: the session's
// command and data timeouts (RFC 5321 §4.5.3.2) end a dead peer's
// session, and the four setsockopt calls that turn keepalives on for
// every accepted connection were 16 µs of a message's CPU
// (docs/benchmarks.md §SMTP intake profile (issue 21)).
func listenMX(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

// policies is the policy stage of the delivery path (docs/flow.md), in
// order: a DMARC quarantine goes to Junk, and so does rspamd's junk
// verdict; last the Sieve policy (sieve_serve.go).
func policies(d deps) []delivery.Policy {
	return []delivery.Policy{delivery.QuarantineJunk{}, delivery.SpamJunk{},
		// Last: the user's filter sees the spam verdicts and decides
		// (README "Filters and vacation").
		sievePolicy(d)}
}

// inboundChecker is the msgauth Checker of the MX, with the host name as
// authserv-id and the server's resolver; nil when smtp.verify_senders is
// off.
func inboundChecker(d deps, res dnsr.Resolver) delivery.Checker {
	if !d.cfg.SMTP.VerifySenders {
		return nil
	}
	return msgauth.New(msgauth.Config{AuthServID: d.cfg.Hostname, Resolver: res,
		MaxDKIMSignatures: d.cfg.DKIM.MaxVerify, DMARCReject: d.cfg.DMARC.Reject,
		Prefetch: d.cfg.DNS.Cache},
		d.log.With("component", "msgauth"))
}
