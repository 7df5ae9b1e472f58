package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/tlsrpt"
)

// outboundQueue is the running outbound queue of the server, with the
// TLS reporter of its sessions (nil when tls_rpt is off).
type outboundQueue struct {
	svc    *queue.Service
	tlsrpt *tlsrpt.Reporter
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startQueue builds the queue service with the outbound SMTP client and
// local delivery of reports, and starts its runner.
func startQueue(ctx context.Context, d deps) (*outboundQueue, error) {
	qs := d.st
	cfg := d.cfg
	roots, err := outboundRoots(cfg.Delivery.TLSCAFile)
	if err != nil {
		return nil, err
	}
	reports := &reportSender{d: d}
	rep := newTLSReporter(d, reports)
	ccfg := smtpclient.Config{Hostname: cfg.Hostname, RemotePort: cfg.Delivery.RemotePort,
		Relayhost: cfg.Delivery.Relayhost, RelayUser: cfg.Delivery.RelayUser,
		RelayPassword: cfg.Delivery.RelayPassword, Routes: cfg.Delivery.Routes,
		ConnectionCacheTime: smtpclient.DefaultConnectionCacheTime,
		STS:                 newSTSLookup(d.dns, d.st, d.log.With("component", "mtasts"), roots)}
	if roots != nil {
		ccfg.TLSConfig = &tls.Config{RootCAs: roots}
	}
	if rep != nil {
		ccfg.TLSReport = func(o smtpclient.TLSOutcome) { rep.Record(tlsrpt.Outcome(o)) }
	}
	client := smtpclient.New(ccfg,
		d.dns, d.log.With("component", "smtpclient"))
	res := accounts.New(d.st, accounts.Options{SubaddressSeparator: cfg.SMTP.SubaddressSeparator})
	// A bounce to an SRS address goes on to the original sender (srs.go).
	ref := &queueRef{}
	local := delivery.New(delivery.Config{Hostname: cfg.Hostname, Postmaster: cfg.Delivery.Postmaster,
		Queue: ref, SRS: newSRS(d), SRSDomain: cfg.SRS.Domain}, res, d.st, d.log.With("component", "reports"))
	svc := queue.New(queue.ConfigFrom(cfg), queue.Deps{Store: qs, Sender: client,
		Local: localReports(d.st, local), Signer: d.signer, Log: d.log.With("component", "queue"),
		Metrics: queue.NewMetrics(d.metrics.Registry, qs)})
	reports.queue, reports.local, ref.q = svc, localReports(d.st, local), svc
	rctx, cancel := context.WithCancel(ctx)
	q := &outboundQueue{svc: svc, tlsrpt: rep, cancel: cancel}
	q.wg.Go(func() { svc.Run(rctx) })
	if rep != nil {
		q.wg.Go(func() { rep.Run(rctx) })
	}
	return q, nil
}

// stop ends the runner and waits for its attempts to record their outcome.
func (q *outboundQueue) stop() {
	if q != nil {
		q.cancel()
		q.wg.Wait()
	}
}

// localReports delivers reports to senders in local domains through the
// local delivery path, with the null reverse-path, as the transaction
// msgID (the queue logs it as report_msg_id with the bounced message).
func localReports(st store.Store, d *delivery.Service) queue.LocalDeliverer {
	return func(ctx context.Context, msgID string, rcpt mailaddr.Address, msg []byte) (bool, error) {
		ok, err := st.HasDomain(ctx, rcpt.Domain)
		if err != nil || !ok {
			return false, err
		}
		env := &envelope.Envelope{ID: msgID, Recipients: []envelope.Recipient{{Addr: rcpt}},
			Helo: "localhost", Protocol: "ESMTP", Received: time.Now()}
		for _, r := range d.Deliver(ctx, env, bytes.NewReader(msg), int64(len(msg))) {
			if r != nil && !r.Positive() {
				return true, fmt.Errorf("local delivery of a report: %d %s", r.Code, r.Enhanced)
			}
		}
		return true, nil
	}
}
