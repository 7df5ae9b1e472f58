package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/store"
)

// outboundQueue is the running outbound queue of the server.
type outboundQueue struct {
	svc    *queue.Service
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startQueue builds the queue service with the outbound SMTP client and
// local delivery of reports, and starts its runner.
func startQueue(ctx context.Context, d deps) *outboundQueue {
	qs := d.st
	cfg := d.cfg
	client := smtpclient.New(smtpclient.Config{Hostname: cfg.Hostname, RemotePort: cfg.Delivery.RemotePort,
		Relayhost: cfg.Delivery.Relayhost, RelayUser: cfg.Delivery.RelayUser,
		RelayPassword: cfg.Delivery.RelayPassword, Routes: cfg.Delivery.Routes,
		ConnectionCacheTime: smtpclient.DefaultConnectionCacheTime},
		d.dns, d.log.With("component", "smtpclient"))
	res := accounts.New(d.st, accounts.Options{SubaddressSeparator: cfg.SMTP.SubaddressSeparator})
	local := delivery.New(delivery.Config{Hostname: cfg.Hostname, Postmaster: cfg.Delivery.Postmaster},
		res, d.st, d.log.With("component", "reports"))
	svc := queue.New(queue.ConfigFrom(cfg), queue.Deps{Store: qs, Sender: clientSender{client},
		Local: localReports(d.st, local), Signer: d.signer, Log: d.log.With("component", "queue"),
		Metrics: queue.NewMetrics(d.metrics.Registry, qs)})
	rctx, cancel := context.WithCancel(ctx)
	q := &outboundQueue{svc: svc, cancel: cancel}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		svc.Run(rctx)
	}()
	return q
}

// stop ends the runner and waits for its attempts to record their outcome.
func (q *outboundQueue) stop() {
	if q != nil {
		q.cancel()
		q.wg.Wait()
	}
}

// enqueuer gives delivery (delivery.Queue) the queue's Enqueue, turning
// the protocol's envelope into the queue's.
type enqueuer struct{ svc *queue.Service }

func (e enqueuer) Enqueue(ctx context.Context, env *delivery.Envelope, body io.Reader, size int64, rcpts []delivery.Recipient) (string, error) {
	m := queue.Message{Origin: env.ID, From: env.From, EnvID: env.EnvID, Ret: env.Ret, SMTPUTF8: env.SMTPUTF8,
		BodyType: env.Body}
	for _, r := range rcpts {
		m.Rcpts = append(m.Rcpts, queue.Rcpt{Addr: r.Addr, Notify: r.Notify, ORcpt: r.ORcpt})
	}
	return e.svc.Enqueue(ctx, m, io.LimitReader(body, size))
}

// clientSender adapts the SMTP client to the queue's Sender.
type clientSender struct{ c *smtpclient.Client }

func (s clientSender) Send(ctx context.Context, domain string, m *queue.Outbound) []queue.Result {
	msg := &smtpclient.Message{From: m.From, Body: m.Body, Size: m.Size, EightBit: m.EightBit,
		SMTPUTF8: m.SMTPUTF8, EnvID: m.EnvID, Ret: m.Ret}
	for _, r := range m.Rcpts {
		msg.Rcpts = append(msg.Rcpts, smtpclient.Rcpt{Addr: r.Addr, Notify: r.Notify, ORcpt: r.ORcpt})
	}
	var out []queue.Result
	for _, r := range s.c.Send(ctx, domain, msg) {
		out = append(out, queue.Result{Rcpt: r.Rcpt, Reply: r.Reply, RemoteMTA: r.RemoteMTA,
			RemoteIP: r.RemoteIP, TLS: r.TLS})
	}
	return out
}

// localReports delivers reports to senders in local domains through the
// local delivery path, with the null reverse-path.
func localReports(st store.Store, d *delivery.Service) queue.LocalDeliverer {
	return func(ctx context.Context, rcpt mailaddr.Address, msg []byte) (bool, error) {
		ok, err := st.HasDomain(ctx, rcpt.Domain)
		if err != nil || !ok {
			return false, err
		}
		env := &delivery.Envelope{ID: "report", Recipients: []delivery.Recipient{{Addr: rcpt}},
			Helo: "localhost", Protocol: "ESMTP", Received: time.Now()}
		for _, r := range d.Deliver(ctx, env, bytes.NewReader(msg), int64(len(msg))) {
			if r != nil && !r.Positive() {
				return true, fmt.Errorf("local delivery of a report: %d %s", r.Code, r.Enhanced)
			}
		}
		return true, nil
	}
}
