package msgauth

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestVerdictLogLine: the one line per message keeps the log conventions
// (testkit.JSONLines): the listener beside conn, and remote "local" for a
// client on a unix socket, not Go's "invalid IP" (review of issue 13).
func TestVerdictLogLine(t *testing.T) {
	w := newWorld(t)
	sc := testScenarios()[0]
	logs := &testkit.LogBuffer{}
	c := New(Config{AuthServID: servID, Resolver: w.res}, testkit.JSONLogger(logs))
	for _, ip := range []netip.Addr{clientIP, {}} {
		in := Input{ID: "m1", Conn: "c1", Listener: "lmtp", ClientIP: ip, Helo: "mail.sender.example", MailFrom: sc.mailFrom}
		if _, err := c.Check(context.Background(), in, strings.NewReader(w.message(t, sc))); err != nil {
			t.Fatal(err)
		}
	}
	lines := testkit.JSONLines(t, logs.String())
	var remotes []string
	for _, l := range lines {
		if l.Str("msg") == "message authenticated" {
			remotes = append(remotes, l.Str("remote"))
			if l.Str("listener") != "lmtp" || l.Str("msg_id") != "m1" {
				t.Errorf("line %v: want listener lmtp, msg_id m1", l)
			}
		}
	}
	if len(remotes) != 2 || remotes[0] != clientIP.String() || remotes[1] != "local" {
		t.Errorf("remotes %q; want %s, local", remotes, clientIP)
	}
}
