package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/smtpd"
)

// submissionBindings builds the message submission servers (RFC 6409):
// listen.submission (port 587, STARTTLS, RFC 3207) and listen.submissions
// (port 465, implicit TLS, RFC 8314 §3.3). Both run on the delivery path
// dlv of the MX, whose sender rules and routing apply once the client has
// authenticated (RFC 4954: AUTH PLAIN and LOGIN, over TLS unless
// tls.allow_insecure_auth), and count failed logins in the shared guard
// with IMAP and POP3. rev names the client in the Received field (nil:
// its address only).
func submissionBindings(d deps, dlv *delivery.Service, m *smtpd.Metrics, rev func(context.Context, netip.Addr) string) []binding {
	auth := smtpd.NewAuth(smtpd.AuthConfig{
		Auth: d.accounts, Throttle: d.guard, Hostname: d.cfg.Hostname,
		AllowInsecure: d.cfg.TLS.AllowInsecureAuth, Logger: d.log.With("listener", "submission"),
	})
	sub := smtpd.FromConfig(d.cfg)
	sub.Name, sub.TLS, sub.Extensions = "submission", d.tls, []smtpd.Extension{auth}
	sub.ReverseName = rev
	sub.Limits = serviceLimits(d, "submission", sub.MaxConnections, sub.MaxConnectionsPerIP)
	subs := sub // the same limiters: the connections of both listeners count together
	subs.Name, subs.ImplicitTLS = "submissions", true
	return []binding{
		{key: "listen.submission", addrs: d.cfg.Listen.Submission, srv: smtpd.New(sub, dlv, d.log, m)},
		{key: "listen.submissions", addrs: d.cfg.Listen.Submissions, srv: smtpd.New(subs, dlv, d.log, m)},
	}
}

// deliveryQueue is the outbound queue that the delivery path hands
// remote recipients to (submitted mail, forwarding aliases); nil when the
// store has no queue (remote recipients are then refused: 451 4.3.0 on
// submission and for forwarding aliases, 554 5.7.1 on the MX).
func deliveryQueue(d deps) delivery.Queue {
	if d.outbound == nil {
		return nil
	}
	return d.outbound.svc
}

// signer signs outgoing mail with DKIM: submitted mail (delivery.Signer)
// and the queue's reports (queue.Signer).
type signer interface {
	Sign(ctx context.Context, msg io.Reader) (string, error)
}

// dkimDir is where the DKIM keys are: <data_dir>/dkim.
func dkimDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "dkim") }

// newSigner is the server's one DKIM signer, which sees keys made by
// `petrel dkim generate` while it runs; nil when dkim.sign is false.
func newSigner(cfg *config.Config, log *slog.Logger) signer {
	if !cfg.DKIM.Sign {
		log.Info("dkim: signing is off (dkim.sign = false)")
		return nil
	}
	return dkim.NewSigner(dkimDir(cfg), log.With("component", "dkim"))
}
