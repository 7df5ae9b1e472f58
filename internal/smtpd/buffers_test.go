package smtpd

import (
	"strings"
	"testing"
	"time"
)

// TestSessionBuffersStartEmpty: sessions take their buffers from ended
// ones (Server.buffers); what an ended session left unread or unsent
// must never reach the next session. Each round ends a session in the
// middle of a pipelined line and of a message, then runs a clean one
// whose commands and message must arrive exactly as sent.
func TestSessionBuffersStartEmpty(t *testing.T) {
	ts := start(t, testConfig(), nil)
	for i := 0; i < 10; i++ {
		c := greeted(t, ts.addr)
		c.hello()
		c.transaction("a@example.org", "b@example.org")
		c.cmd("DATA", "354 ")
		c.Send("Subject: cut\r\n\r\nhalf a message\r\nNOOP\r\nRCPT TO:<leftover@exa")
		c.C.Close()
		time.Sleep(20 * time.Millisecond) // let the session end and free its buffers

		c = greeted(t, ts.addr)
		c.cmd("NOOP", "250 ")
		c.hello()
		c.transaction("x@example.org", "y@example.org")
		if r := c.data("Subject: clean\r\n\r\nround " + itoa(i) + "\r\n.\r\n"); !strings.HasPrefix(r[0], "250 ") {
			t.Fatalf("round %d: %q", i, r)
		}
		c.cmd("QUIT", "221 ")
		c.C.Close()
	}
	msgs := ts.d.messages()
	if len(msgs) != 10 {
		t.Fatalf("%d messages delivered, want the 10 clean ones", len(msgs))
	}
	for i, m := range msgs {
		if want := "Subject: clean\r\n\r\nround " + itoa(i) + "\r\n"; string(m.body) != want || len(m.env.Recipients) != 1 ||
			m.env.Recipients[0].Addr.String() != "y@example.org" {
			t.Errorf("message %d: body %q, recipients %v", i, m.body, m.env.Recipients)
		}
	}
}
