package main

import (
	"context"
	"fmt"
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
		AllowInsecure: d.cfg.TLS.AllowInsecureAuth,
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

// dkimDir is where earlier versions kept the DKIM key files:
// <data_dir>/dkim. The keys are in the store now; dkim.Import moves files
// found there into it.
func dkimDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "dkim") }

// newSigner is the server's one DKIM signer, reading the keys of the
// store, which sees keys made by `petrel dkim generate` (or another node)
// while it runs; nil when dkim.sign is false.
func newSigner(cfg *config.Config, ks dkim.KeyStore, log *slog.Logger) signer {
	if !cfg.DKIM.Sign {
		log.Info("dkim: signing is off (dkim.sign = false)")
		return nil
	}
	return dkim.NewSigner(ks, log.With("component", "dkim"))
}

// importDKIMFiles moves the DKIM key files of earlier versions into the
// store at start-up (dkim.Import), and logs what it did and left. An
// import that could not run stops the start: serving would send the
// domains of those keys unsigned (their DMARC then fails at receivers).
func importDKIMFiles(ctx context.Context, cfg *config.Config, ks dkim.KeyStore, log *slog.Logger) error {
	imported, skipped, err := dkim.Import(ctx, ks, dkimDir(cfg))
	for _, name := range imported {
		log.Info("dkim: imported a key file into the store", "key", name, "file", dkimDir(cfg))
	}
	for _, e := range skipped {
		log.Warn("dkim: key file not imported", "err", e)
	}
	if err != nil {
		return fmt.Errorf("importing the DKIM key files of %s into the store: %w", dkimDir(cfg), err)
	}
	return nil
}
