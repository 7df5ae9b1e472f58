package queue

import (
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// enqueueTLS queues testMsg from from to rcpt with the TLS demands given
// (RFC 8689) and RET=FULL.
func (f *fixture) enqueueTLS(from, rcpt string, requireTLS, tlsOptional bool) string {
	f.t.Helper()
	env := &envelope.Envelope{ID: "smtp1", Ret: "FULL", RequireTLS: requireTLS, TLSOptional: tlsOptional}
	env.From, _ = mailaddr.Parse(from)
	to, _ := mailaddr.Parse(rcpt)
	id, err := f.svc.Enqueue(f.ctx, env, strings.NewReader(testMsg), int64(len(testMsg)), []envelope.Recipient{{Addr: to}})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// TestRequireTLSHandedToSender: the queue keeps REQUIRETLS and the
// TLS-Required field and hands them to the client; REQUIRETLS wins over
// the field (RFC 8689 §4.1).
func TestRequireTLSHandedToSender(t *testing.T) {
	f := newFixture(t)
	f.enqueueTLS("alice@example.org", "a@one.example", true, false)
	f.enqueueTLS("alice@example.org", "b@two.example", false, true)
	f.enqueueTLS("alice@example.org", "c@three.example", true, true)
	f.step()
	got := map[string][2]bool{}
	for _, m := range f.snd.msgs {
		got[m.Rcpts[0].Addr] = [2]bool{m.RequireTLS, m.TLSOptional}
	}
	want := map[string][2]bool{"a@one.example": {true, false}, "b@two.example": {false, true}, "c@three.example": {true, false}}
	for rcpt, w := range want {
		if got[rcpt] != w {
			t.Errorf("%s: (RequireTLS, TLSOptional) = %v, want %v", rcpt, got[rcpt], w)
		}
	}
}

// TestRequireTLSBounce: a REQUIRETLS message refused for want of
// validated TLS (5.7.10) gets a report that says why, with the headers
// only although RET=FULL (RFC 8689 §5); a report queued for a remote
// sender is sent with REQUIRETLS too.
func TestRequireTLSBounce(t *testing.T) {
	f := newFixture(t)
	f.snd.replies["a@one.example"] = smtpreply.New(550, smtpreply.Enhanced{5, 7, 10}, "REQUIRETLS: no validated TLS")
	f.enqueueTLS("alice@example.org", "a@one.example", true, false)
	f.step()
	reports := f.local["alice@example.org"]
	if len(reports) != 1 {
		t.Fatalf("%d reports, want 1", len(reports))
	}
	r := reports[0]
	for _, want := range []string{"Status: 5.7.10", "sent with REQUIRETLS (RFC 8689)", "text/rfc822-headers"} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r, "body text") || strings.Contains(r, "message/rfc822") {
		t.Errorf("report returns the body of a REQUIRETLS message:\n%s", r)
	}

	// The same failure without REQUIRETLS: RET=FULL returns the body, and
	// no REQUIRETLS text.
	f.enqueueTLS("bob@example.org", "a@one.example", false, false)
	f.step()
	if r := f.local["bob@example.org"]; len(r) != 1 || !strings.Contains(r[0], "body text") || strings.Contains(r[0], "sent with REQUIRETLS") {
		t.Errorf("report without REQUIRETLS: %q", r)
	}

	// A sender elsewhere: the report is queued, with REQUIRETLS.
	f.enqueueTLS("carol@remote.example", "a@one.example", true, false)
	f.step()
	qs, err := f.st.QueuedMessages(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, q := range qs {
		if q.From == "" && q.Rcpts[0].Addr == "carol@remote.example" {
			found = true
			if !q.RequireTLS {
				t.Error("the report on a REQUIRETLS message is queued without REQUIRETLS")
			}
		}
	}
	if !found {
		t.Fatalf("no report queued for carol: %+v", qs)
	}
}
