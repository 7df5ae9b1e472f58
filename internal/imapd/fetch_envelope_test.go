package imapd

import (
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestFetchEnvelopeOnly: a header scan, UID FETCH 1:* (FLAGS ENVELOPE),
// reads the envelope alone (store.ReadEnvelope) and answers what the
// whole metadata gives: the same ENVELOPE as FETCH (ENVELOPE
// BODYSTRUCTURE), here without the item cache, for plain, multipart,
// encoded and nested messages.
func TestFetchEnvelopeOnly(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.ItemCacheBytes = 1 })
	e.deliver("", testMessage("plain", "hello"), 0)
	e.deliver("", "From: =?UTF-8?B?R3LDvMOfZQ==?= <g@example.org>\r\nTo: a@example.org, \"B, C\" <b@example.org>\r\n"+
		"Cc: group: x@example.org, y@example.org;\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\nIn-Reply-To: <p@example.org>\r\n"+
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"+
		"From: inner@example.org\r\nSubject: inner\r\n\r\nin\r\n--b--\r\n", store.FlagSeen)
	e.deliver("", "Subject: no addresses\r\n\r\nbody\r\n", store.FlagFlagged)
	r := e.login()
	r.OK("s SELECT INBOX")
	envelopes := func(cmd string) []string {
		var out []string
		for _, l := range r.OK(cmd) {
			i := strings.Index(l, "ENVELOPE (")
			if i < 0 {
				t.Fatalf("%s: no ENVELOPE in %q", cmd, l)
			}
			out = append(out, l[i:])
		}
		return out
	}
	scan := envelopes("f1 UID FETCH 1:* (FLAGS ENVELOPE)")
	whole := envelopes("f2 FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
	if len(scan) != 3 || len(whole) != 3 {
		t.Fatalf("%d and %d responses, want 3", len(scan), len(whole))
	}
	for i := range scan {
		// scan: ENVELOPE (...)) ; whole: ENVELOPE (...) BODYSTRUCTURE (...))
		env := strings.TrimSuffix(scan[i], ")")
		if !strings.HasPrefix(whole[i], env+" BODYSTRUCTURE (") {
			t.Errorf("message %d: the header scan's\n%s\nis not the ENVELOPE of\n%s", i+1, env, whole[i])
		}
	}
	if got := envelopeRead([]fetchItem{{name: "UID"}, {name: "FLAGS"}, {name: "ENVELOPE"}}); got != store.ReadEnvelope {
		t.Errorf("UID FLAGS ENVELOPE: read flags %v, want ReadEnvelope", got)
	}
	for _, other := range []string{"BODYSTRUCTURE", "BODY", "PREVIEW", "BODY[]"} {
		if got := envelopeRead([]fetchItem{{name: "ENVELOPE"}, {name: other}}); got != 0 {
			t.Errorf("ENVELOPE %s: read flags %v, want the whole metadata", other, got)
		}
	}
}
