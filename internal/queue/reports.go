package queue

import (
	"bytes"
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// reportItems lists the recipients whose new state calls for a report to
// the sender under their NOTIFY (before holds the states before the
// attempt), all for one report, and whether a delay warning is given. A
// message with a null reverse-path never gets a report (RFC 3461 §6.2,
// RFC 5321 §6.1: no bounce loops).
func (s *Service) reportItems(m *store.QueuedMessage, before []store.QueuedRcpt, now time.Time) (items []reportItem, warned bool) {
	if m.From == "" {
		return nil, false
	}
	delayDue := !m.DelayWarned && s.cfg.DelayWarning > 0 && now.Sub(m.Arrived) >= s.cfg.DelayWarning
	for i, rc := range m.Rcpts {
		prev := before[i].State
		var action string
		switch {
		case rc.State == store.RcptFailed && prev != store.RcptFailed:
			action = actionFailed
		case rc.State == store.RcptDelivered && prev != store.RcptDelivered:
			action = actionRelayed
		case rc.State == store.RcptDeferred && delayDue:
			action, warned = actionDelayed, true
		}
		if action != "" && wants(rc.Notify, action) {
			items = append(items, reportItem{rcpt: rc, action: action})
		}
	}
	return items, warned
}

// sendReport builds one DSN and delivers it with a null reverse-path. Its
// errors are logged; it returns false when the report was not sent.
func (s *Service) sendReport(ctx context.Context, m *store.QueuedMessage, items []reportItem, now time.Time) bool {
	r := &report{hostname: s.cfg.Hostname, msg: m, items: items, now: now, until: s.cfg.expiry(m.Arrived)}
	// A REQUIRETLS message is returned as if RET=HDRS (RFC 8689 §5): its
	// body must not travel where its sender did not allow.
	full := m.Ret == "FULL" && r.worst() == actionFailed && !m.RequireTLS
	blob, err := s.d.Store.OpenBlob(ctx, m.Blob)
	if err != nil {
		s.d.Log.Error("reading a queued message for its report", msgAttrs(m, "err", err)...)
		return false
	}
	r.original, r.full, err = readOriginal(blob, m.Size, full)
	blob.Close()
	if err != nil {
		s.d.Log.Error("reading a queued message for its report", msgAttrs(m, "err", err)...)
		return false
	}
	rid := obs.NewID()
	id, err := s.deliverReport(ctx, m, rid, s.signReport(ctx, m, r.build()), r.full)
	if err != nil {
		s.d.Log.Error("sending a delivery status report", msgAttrs(m, "to", m.From, "err", err)...)
		return false
	}
	// The report's own queue ID (report_queue_id) is the one its delivery
	// attempts log; a report delivered locally has none but its own msg_id
	// (report_msg_id), the one of the local delivery's lines and Received.
	where := []any{"report_local", true, "report_msg_id", rid}
	if id != "" {
		where = []any{"report_local", false, "report_queue_id", id}
	}
	for _, it := range items {
		s.d.Metrics.report(it.action)
		s.d.Log.Info("delivery status report", msgAttrs(m, append([]any{"to", m.From, "rcpt", it.rcpt.Addr,
			"action", it.action, "status", it.rcpt.Status}, where...)...)...)
	}
	return true
}

// deliverReport delivers a report to m's sender: locally as the
// transaction rid when the sender is local (it returns ""), else through
// the queue itself, with a null
// reverse-path (it returns the report's queue ID). A queued report keeps
// the msg_id of the message it reports on as its Origin, so that
// `petrel queue show MSG_ID` and the logs find it with that message.
func (s *Service) deliverReport(ctx context.Context, m *store.QueuedMessage, rid string, data []byte, full bool) (string, error) {
	to, err := mailaddr.Parse(m.From)
	if err != nil {
		return "", err
	}
	if s.d.Local != nil {
		local, err := s.d.Local(ctx, rid, to, data)
		if local || err != nil {
			return "", err
		}
	}
	origin := m.Origin
	if origin == "" {
		origin = m.ID
	}
	nq := store.NewQueued{ID: obs.NewID(), Origin: origin, Arrived: s.d.Now(), Body: bytes.NewReader(data),
		SMTPUTF8: m.SMTPUTF8 && !to.IsASCII(),
		// The report on a REQUIRETLS message is sent with REQUIRETLS
		// too (RFC 8689 §5).
		RequireTLS: m.RequireTLS,
		Rcpts:      []store.QueuedRcpt{{Addr: to.String(), Domain: to.Domain, Notify: []string{"NEVER"}}}}
	if full && m.BodyType == "8BITMIME" {
		nq.BodyType = "8BITMIME"
	}
	q, err := s.d.Store.Enqueue(ctx, nq)
	if err != nil {
		return "", err
	}
	s.Wake()
	return q.ID, nil
}
