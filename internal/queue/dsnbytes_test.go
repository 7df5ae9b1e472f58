package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// A remote reply of any octets and length becomes, in a report, printable
// US-ASCII folded into lines of at most foldAt octets (the report is sent
// as 7-bit text; RFC 3464 §2.1.1, RFC 5322 §2.1.1), and its words are all
// there: none is lost, none starts a line of its own as a field.
func TestReportReplyBytes(t *testing.T) {
	long := strings.Repeat("B", 3000)
	rep := &smtpreply.Reply{Code: 550, Enhanced: smtpreply.Enhanced{5, 1, 1},
		Text: "no \xff\xfe\x00\x1b[2J user\r\nX-Injected: yes\n" + long + " " + strings.Repeat("word ", 40)}
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	m := &store.QueuedMessage{ID: "q1", From: "alice@a.test", Arrived: now}
	r := report{hostname: "h.test", msg: m, now: now, items: []reportItem{{action: actionFailed,
		rcpt: store.QueuedRcpt{Addr: "bob@b.test", RemoteMTA: "mx.b.test", Status: "5.1.1", LastError: replyText(rep)}}}}
	var human, status strings.Builder
	r.human(&human)
	r.status(&status)
	for part, out := range map[string]string{"text": human.String(), "delivery-status": status.String()} {
		for _, l := range strings.Split(out, "\r\n") {
			if len(l) > foldAt {
				t.Errorf("%s: a line of %d octets: %.40q...", part, len(l), l)
			}
			if strings.HasPrefix(l, "X-Injected") {
				t.Errorf("%s: the reply's text starts a line: %q", part, l)
			}
			for _, c := range []byte(l) {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("%s: octet %#x in %q", part, c, l)
				}
			}
		}
		unfolded := strings.Join(strings.Fields(strings.ReplaceAll(out, "\r\n", "")), " ")
		for _, want := range []string{"550 5.1.1 no ????[2J user X-Injected: yes", strings.Repeat("B", 70), "word word"} {
			if !strings.Contains(unfolded, want) {
				t.Errorf("%s: %q missing from the report", part, want)
			}
		}
		if n := strings.Count(strings.ReplaceAll(out, "\r\n ", ""), "B"); n < 3000 {
			t.Errorf("%s: %d of the 3000 Bs", part, n)
		}
	}
	if !strings.Contains(status.String(), "\r\nDiagnostic-Code: smtp; 550 5.1.1 no ????[2J user") {
		t.Errorf("the Diagnostic-Code field:\n%s", status.String())
	}
}
