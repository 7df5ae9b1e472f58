package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// finishTimeout bounds recording an attempt's outcome and its reports,
// which go on after shutdown began so that nothing delivered is re-sent.
const finishTimeout = 15 * time.Second

// process tries the due recipients of m (grouped by domain, all domains
// at once), sends the reports they call for, and records their new states
// as it releases its claim, in one update. Reports go out before the
// release, and only while the claim is held (docs/architecture.md
// §Queue): a crash between the two repeats the attempt and its report,
// rather than losing the report.
func (s *Service) process(ctx context.Context, m *store.QueuedMessage, groups map[string][]int) {
	before := make([]store.QueuedRcpt, len(m.Rcpts))
	copy(before, m.Rcpts)
	var wg sync.WaitGroup
	for domain, idxs := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.attempt(ctx, m, domain, idxs)
		}()
	}
	wg.Wait()
	if errors.Is(context.Cause(ctx), errClaimLost) {
		// Deleted, or taken over by another runner: nothing of this
		// attempt is recorded or reported.
		s.d.Log.Warn("attempt stopped: queue claim lost", msgAttrs(m)...)
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	var changed []store.QueuedRcpt
	for _, idxs := range groups {
		for _, i := range idxs {
			changed = append(changed, m.Rcpts[i])
		}
	}
	now := s.d.Now()
	items, warned := s.reportItems(m, before, now)
	if len(items) > 0 && !s.report(fctx, m, items, now) {
		return
	}
	s.releaseClaim(fctx, m, store.QueueChange{Rcpts: changed, DelayWarned: warned})
}

// report sends the report of an attempt of m if this runner still holds
// its claim: it renews the claim first, and the report must be out before
// the renewed lease's safety margin (leaseMargin). It returns false when
// the attempt must not be recorded: the claim is lost or its state
// unknown, or the report ran out of time (it may be sent again with the
// attempt, never lost).
func (s *Service) report(ctx context.Context, m *store.QueuedMessage, items []reportItem, now time.Time) bool {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, renewTimeout(s.cfg.Lease))
	lost, err := s.d.Store.RenewClaims(rctx, s.cfg.Owner, []string{m.ID}, s.d.Now().Add(s.cfg.Lease))
	cancel()
	if err != nil || len(lost) > 0 {
		s.d.Log.Warn("no report: queue claim lost or not renewed", msgAttrs(m, "err", err)...)
		return false
	}
	rctx, cancel = context.WithDeadline(ctx, s.safeUntil(start))
	defer cancel()
	if !s.sendReport(rctx, m, items, now) && rctx.Err() != nil {
		s.d.Log.Warn("report not sent before the queue claim's lease ran short: nothing recorded", msgAttrs(m)...)
		return false
	}
	return true
}

// releaseClaim records an attempt's outcome (ch may be empty) and ends
// this runner's claim on the message.
func (s *Service) releaseClaim(ctx context.Context, m *store.QueuedMessage, ch store.QueueChange) {
	err := s.d.Store.ReleaseClaim(ctx, m.ID, s.cfg.Owner, ch)
	switch {
	case err == nil:
	case store.IsKind(err, store.KindNotFound):
		s.d.Log.Info("queued message deleted while claimed", msgAttrs(m)...)
	case store.IsKind(err, store.KindModified):
		// The lease ran out (this process stalled) and another runner
		// took the message over: its outcome is the one recorded.
		s.d.Log.Warn("queue claim lost before the attempt was recorded", msgAttrs(m)...)
	default:
		s.d.Log.Error("recording delivery attempts", msgAttrs(m, "err", err)...)
	}
}

// attempt sends m to the recipients idxs, all at one domain, and updates
// their states in m.Rcpts.
func (s *Service) attempt(ctx context.Context, m *store.QueuedMessage, domain string, idxs []int) {
	out := &smtpclient.Message{From: m.From, Size: m.Size, EightBit: m.BodyType == "8BITMIME", SMTPUTF8: m.SMTPUTF8,
		EnvID: m.EnvID, Ret: m.Ret, RequireTLS: m.RequireTLS, TLSOptional: m.TLSOptional, LogAttrs: msgAttrs(m),
		Body: func() (io.ReadCloser, error) { return s.d.Store.OpenBlob(ctx, m.Blob) }}
	for _, i := range idxs {
		rc := m.Rcpts[i]
		out.Rcpts = append(out.Rcpts, smtpclient.Rcpt{Addr: rc.Addr, Notify: rc.Notify, ORcpt: rc.ORcpt})
	}
	var results []smtpclient.Result
	if s.d.Sender != nil {
		// delivery.attempt_timeout: every host and session together; a
		// recipient the attempt did not decide gets the 451 below.
		actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
		results = s.d.Sender.Send(actx, domain, out)
		cancel()
	}
	byRcpt := make(map[string]smtpclient.Result, len(results))
	for _, res := range results {
		byRcpt[strings.ToLower(res.Rcpt)] = res
	}
	now := s.d.Now()
	for _, i := range idxs {
		rc := &m.Rcpts[i]
		res, ok := byRcpt[strings.ToLower(rc.Addr)]
		if !ok || res.Reply == nil {
			res.Reply = smtpreply.New(451, smtpreply.Enhanced{4, 4, 1}, "No answer from the destination's mail servers")
		}
		s.apply(rc, res, m.Arrived, now)
		s.logAttempt(m, rc, res, now)
	}
}

// apply records one result in a recipient.
func (s *Service) apply(rc *store.QueuedRcpt, res smtpclient.Result, arrived, now time.Time) {
	rep := res.Reply
	rc.Attempts++
	rc.LastAttempt = now
	rc.RemoteMTA = res.RemoteMTA
	rc.LastError = replyText(rep)
	rc.Status = statusOf(rep)
	switch {
	case rep.Positive():
		rc.State = store.RcptDelivered
	case rep.Permanent():
		rc.State = store.RcptFailed
	default:
		s.cfg.deferRcpt(rc, arrived, now)
		if rc.State == store.RcptFailed {
			// Expired: the status stays the temporary one's class 4
			// detail under a permanent 5 (RFC 3463 §3.5: 5.4.7 when no
			// better detail is known).
			rc.Status = expiredStatus(rc.Status)
		}
	}
}

// replyText is a reply on one line, as the log and reports show it.
func replyText(r *smtpreply.Reply) string {
	if r.Enhanced == (smtpreply.Enhanced{}) {
		return oneLine(fmt.Sprintf("%d %s", r.Code, r.Text))
	}
	return oneLine(fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text))
}

// statusOf is the RFC 3463 status of a reply: its enhanced code, or the
// class of its basic code.
func statusOf(r *smtpreply.Reply) string {
	if r.Enhanced != (smtpreply.Enhanced{}) {
		return r.Enhanced.String()
	}
	return smtpreply.Enhanced{r.Code / 100, 0, 0}.String()
}

func expiredStatus(st string) string {
	if strings.HasPrefix(st, "4.") && st != "4.0.0" {
		return "5" + st[1:]
	}
	return "5.4.7"
}

// msgAttrs are the fields that name m in a log line, then kv: its queue
// ID and the msg_id of the transaction it came from (docs/flow.md
// "Tracing a message").
func msgAttrs(m *store.QueuedMessage, kv ...any) []any {
	return append([]any{"queue_id", m.ID, "msg_id", m.Origin}, kv...)
}

// logAttempt writes the one log line of an attempt for one recipient.
func (s *Service) logAttempt(m *store.QueuedMessage, rc *store.QueuedRcpt, res smtpclient.Result, now time.Time) {
	outcome := rc.State.String()
	s.d.Metrics.attempt(outcome)
	attrs := msgAttrs(m, "from", m.From, "rcpt", rc.Addr, "host", res.RemoteMTA,
		"tls", res.TLS != "", "reply", rc.LastError, "status", rc.Status, "delay_ms", now.Sub(m.Arrived).Milliseconds(),
		"attempt", rc.Attempts, "outcome", outcome)
	if res.RemoteIP.IsValid() {
		attrs = append(attrs, "ip", res.RemoteIP.String())
	}
	if res.TLS != "" {
		attrs = append(attrs, "tls_version", res.TLS)
	}
	if res.TLSPolicy != "" { // README "Outbound TLS policy"
		attrs = append(attrs, "tls_policy", res.TLSPolicy)
	}
	if m.RequireTLS {
		attrs = append(attrs, "require_tls", true)
	}
	if rc.State == store.RcptDeferred {
		attrs = append(attrs, "next_attempt", rc.NextAttempt.Format(time.RFC3339))
	}
	s.d.Log.Info("delivery attempt", attrs...)
}
