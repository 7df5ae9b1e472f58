package queue

import (
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// logLine returns the line with message msg and queue ID queueID.
func logLine(t *testing.T, lines []testkit.LogLine, msg, queueID string) testkit.LogLine {
	t.Helper()
	for _, l := range lines {
		if l.Str("msg") == msg && l.Str("queue_id") == queueID {
			return l
		}
	}
	t.Fatalf("no log line %q with queue_id %s", msg, queueID)
	return nil
}

// TestTraceIDs: every queue line about a message names its queue ID and
// the msg_id of the transaction it came from (the ID its sender was
// told); the bounce line names both and the report's own queue ID, and
// the queued report keeps that msg_id, so that its attempts carry it too
// (issue 13). Durations are numbers of milliseconds.
func TestTraceIDs(t *testing.T) {
	f := newFixture(t)
	f.snd.replies["bob@remote.example"] = smtpreply.New(550, smtpreply.Enhanced{5, 1, 1}, "no such user")
	id := f.enqueue("zed@far.example", nil, "bob@remote.example") // msg_id smtp1
	f.step()
	f.step() // the report to far.example
	lines := testkit.JSONLines(t, f.logs.String())

	if l := logLine(t, lines, "queued", id); l.Str("msg_id") != "smtp1" {
		t.Errorf("queued line %v: want msg_id smtp1", l)
	}
	attempt := logLine(t, lines, "delivery attempt", id)
	if attempt.Str("msg_id") != "smtp1" || attempt.Str("host") != "mx.remote.example" || attempt.Str("outcome") != "failed" {
		t.Errorf("attempt line %v: want msg_id smtp1, host mx.remote.example, outcome failed", attempt)
	}
	if attempt.Str("tls_policy") != "sts ok" {
		t.Errorf("attempt line %v: want the client's tls_policy", attempt)
	}
	if _, ok := attempt["delay_ms"].(float64); !ok {
		t.Errorf("attempt line %v: want delay_ms", attempt)
	}
	report := logLine(t, lines, "delivery status report", id)
	rid := report.Str("report_queue_id")
	if report.Str("msg_id") != "smtp1" || rid == "" || rid == id || report["report_local"] != false {
		t.Fatalf("report line %v: want msg_id smtp1 and the report's queue ID", report)
	}
	if l := logLine(t, lines, "delivery attempt", rid); l.Str("msg_id") != "smtp1" || l.Str("rcpt") != "zed@far.example" {
		t.Errorf("the report's attempt %v: want msg_id smtp1, rcpt zed@far.example", l)
	}

	// A report delivered into a local mailbox has no queue ID.
	id = f.enqueue("alice@example.org", nil, "bob@remote.example")
	f.step()
	lines = testkit.JSONLines(t, f.logs.String())
	l := logLine(t, lines, "delivery status report", id)
	if l["report_local"] != true || l["report_queue_id"] != nil {
		t.Errorf("local report line %v: want report_local true, no report_queue_id", l)
	}
	// ... but a msg_id of its own, fresh for each report, that the line
	// links to the bounced message (review of issue 13: all were "report").
	id2 := f.enqueue("alice@example.org", nil, "carol@remote.example")
	f.snd.replies["carol@remote.example"] = smtpreply.New(550, smtpreply.Enhanced{5, 1, 1}, "no such user")
	f.step()
	lines = testkit.JSONLines(t, f.logs.String())
	l2 := logLine(t, lines, "delivery status report", id2)
	if len(f.localIDs) != 2 || f.localIDs[0] == f.localIDs[1] || f.localIDs[0] == "smtp1" || len(f.localIDs[0]) < 8 {
		t.Fatalf("local reports delivered as msg_ids %q; want two fresh IDs", f.localIDs)
	}
	if l.Str("report_msg_id") != f.localIDs[0] || l2.Str("report_msg_id") != f.localIDs[1] {
		t.Errorf("report lines %v / %v: want report_msg_id %q", l, l2, f.localIDs)
	}
	everyQueueLineHasMsgID(t, lines)
}

// everyQueueLineHasMsgID fails for a line that names a queue entry without
// the msg_id of its message (docs/flow.md: every queue line has both).
func everyQueueLineHasMsgID(t *testing.T, lines []testkit.LogLine) {
	t.Helper()
	for _, l := range lines {
		if l.Str("queue_id") != "" && l.Str("msg_id") == "" {
			t.Errorf("queue line without msg_id: %v", l)
		}
	}
}

// TestAdminDeleteTraced: the administrator's delete is found by the
// message's msg_id, as every other queue line about it (review of issue
// 13: it had the queue_id only).
func TestAdminDeleteTraced(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue("alice@example.org", nil, "bob@remote.example") // msg_id smtp1
	if err := f.svc.Delete(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	lines := testkit.JSONLines(t, f.logs.String())
	found := false
	for _, l := range lines {
		if l.Str("msg_id") == "smtp1" && strings.Contains(l.Str("msg"), "deleted by the administrator") {
			found = true
		}
	}
	if !found {
		t.Errorf("no line with msg_id smtp1 says the message was deleted:\n%s", f.logs.String())
	}
	everyQueueLineHasMsgID(t, lines)
	if err := f.svc.Delete(f.ctx, id); !store.IsKind(err, store.KindNotFound) {
		t.Errorf("second Delete: %v; want not found", err)
	}
}
