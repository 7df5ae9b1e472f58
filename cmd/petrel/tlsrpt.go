package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/tlsrpt"
)

// newTLSReporter builds the TLS reporter of tls_rpt (README "TLS
// reporting (TLS-RPT)"), nil when it is off. Its reports go out through
// reportSender, whose queue startQueue sets once it exists.
func newTLSReporter(d deps, send *reportSender) *tlsrpt.Reporter {
	c := d.cfg.TLSRPT
	if !c.Enabled {
		return nil
	}
	return tlsrpt.New(tlsrpt.Config{Hostname: d.cfg.Hostname, Node: obs.ProcessName(), Organization: c.Organization,
		Contact: c.Contact, From: c.From},
		tlsrpt.Deps{KV: d.st, Locks: d.st, DNS: d.dns, Sender: send, IsNotFound: dnsr.IsNotFound,
			Log: d.log.With("component", "tlsrpt")})
}

// reportSender sends a TLS report: signed with DKIM by its From domain
// (RFC 8460 §5.3), then into the store for a local rua address or the
// outbound queue for a remote one, with "TLS-Required: No" kept as the
// queued message's demand (RFC 8689 §3): a report about TLS failures
// must get through them.
type reportSender struct {
	d     deps
	queue *queue.Service
	local func(ctx context.Context, msgID string, rcpt mailaddr.Address, msg []byte) (bool, error)
}

func (s *reportSender) SendReport(ctx context.Context, m tlsrpt.Mail) error {
	from, err := mailaddr.Parse(m.From)
	if err != nil {
		return fmt.Errorf("tls report sender %q: %w", m.From, err)
	}
	data := m.Data
	if s.d.signer != nil {
		sig, err := s.d.signer.Sign(ctx, bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("signing a tls report: %w", err)
		}
		data = append([]byte(sig), data...)
	}
	env := &envelope.Envelope{ID: obs.NewID(), From: from, TLSOptional: true, Helo: "localhost", Protocol: "ESMTP",
		Received: time.Now()}
	var remote []envelope.Recipient
	for _, to := range m.To {
		rcpt, err := mailaddr.Parse(to)
		if err != nil {
			return fmt.Errorf("tls report recipient %q: %w", to, err)
		}
		if s.local != nil {
			done, err := s.local(ctx, env.ID, rcpt, data)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		remote = append(remote, envelope.Recipient{Addr: rcpt})
	}
	if len(remote) == 0 {
		return nil
	}
	if s.queue == nil {
		return fmt.Errorf("no outbound queue for the tls report to %s", m.PolicyDomain)
	}
	_, err = s.queue.Enqueue(ctx, env, bytes.NewReader(data), int64(len(data)), remote)
	return err
}
