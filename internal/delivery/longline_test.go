package delivery

import (
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
)

// Issue 11: a submitted message with a 100,000-octet header line was
// relayed onward unchanged. Submission refuses a line over 998 octets,
// header or body, with 554 5.6.0 (RFC 5321 §4.5.3.1.6), and stores and
// queues nothing; the MX stores what arrives.
func TestSubmissionRefusesLongLines(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	for name, msg := range map[string]string{
		"header": fromAlice + "X-Long: " + strings.Repeat("x", 100_000) + "\r\n\r\nbody\r\n",
		"body":   fromAlice + "Subject: x\r\n\r\n" + strings.Repeat("y", 999) + "\r\n",
	} {
		rs := f.submit(submitted(t, "bob@example.org", "someone@remote.example"), msg)
		if rs[0] == nil || rs[0].Code != 554 || code(rs[0]) != "5.6.0" || !strings.Contains(rs[0].Text, "998") {
			t.Errorf("%s: %v", name, rs[0])
		}
	}
	if len(q.msgs) != 0 || len(f.inbox("bob@example.org")) != 0 {
		t.Fatal("a refused message was stored or queued")
	}
	// 998 octets is the limit, not over it.
	if rs := f.submit(submitted(t, "bob@example.org"), fromAlice+"Subject: x\r\n\r\n"+strings.Repeat("y", 998)+"\r\n"); rs[0] != nil {
		t.Fatalf("a 998-octet line: %v", rs[0])
	}
	// The MX stores what arrives.
	long := "X-Long: " + strings.Repeat("x", 100_000)
	if rs := f.deliver(&envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "alice@example.org")}}, long); rs[0] != nil {
		t.Fatalf("MX: %v", rs[0])
	}
	if ms := f.inbox("alice@example.org"); len(ms) != 1 || !strings.Contains(f.body(ms[0]), long+"\r\n") {
		t.Fatal("the MX did not store the message as it came")
	}
}
