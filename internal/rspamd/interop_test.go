package rspamd

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

func testMessage(subject, body string) string {
	return "From: <sender@example.com>\r\nTo: <alice@example.org>\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.com>\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\n" + body + "\r\n"
}

func testInput() Input {
	return Input{ID: "t1", ClientIP: netip.MustParseAddr("192.0.2.1"), Helo: "mail.example.com",
		From: "sender@example.com", Rcpt: []string{"alice@example.org"}, DeliverTo: "alice@example.org"}
}

// TestInteropRspamd scans with a real rspamd: each action of its maps to
// Petrel's, and with rspamd stopped the failure policy applies.
func TestInteropRspamd(t *testing.T) {
	srv := testkit.StartRspamd(t)
	f := NewFilter(Config{URL: srv.Normal, ControllerURL: srv.Controller, Password: srv.Password}, nil, nil)
	tf := NewFilter(Config{URL: srv.Normal, TempFailOnError: true}, nil, nil)
	scan := func(f *Filter, msg string) Verdict {
		return f.Scan(context.Background(), testInput(), strings.NewReader(msg), int64(len(msg)))
	}
	v := scan(f, testMessage("gtube", testkit.GTUBE))
	if v.Action != Reject || v.Reply == nil || v.Reply.Code != 550 || v.Reply.Enhanced.String() != "5.7.1" {
		t.Errorf("GTUBE: %+v, want Reject 550 5.7.1", v)
	}
	v = scan(f, testMessage("lunch", "See you at noon."))
	if v.Action != Accept || !v.Scanned || !strings.HasPrefix(v.Header, "X-Spam-Status: No, score=") {
		t.Errorf("clean message: %+v, want Accept with X-Spam-Status: No", v)
	}
	v = scan(f, testMessage(testkit.RspamdJunkSubject, "Buy now."))
	if v.Action != Junk || !strings.HasPrefix(v.Header, "X-Spam-Status: Yes, score=") ||
		!strings.Contains(v.Header, "PETREL_TEST_JUNK=8.00") {
		t.Errorf("add header: %+v, want Junk with the symbol in X-Spam-Status", v)
	}
	srv.Stop()
	v = scan(f, testMessage("lunch", "See you at noon."))
	if v.Action != Accept || v.Scanned || v.Header != "X-Spam-Status: Unscanned\r\n" {
		t.Errorf("rspamd stopped, default policy: %+v, want Accept marked Unscanned", v)
	}
	v = scan(tf, testMessage("lunch", "See you at noon."))
	if v.Action != TempFail || v.Reply == nil || v.Reply.Code != 451 {
		t.Errorf("rspamd stopped, tempfail policy: %+v, want TempFail 451", v)
	}
}

// TestInteropLearn teaches rspamd through Learn: its learned count goes
// up for a spam and a ham, per Bayes user.
func TestInteropLearn(t *testing.T) {
	srv := testkit.StartRspamd(t)
	c := &client{controller: srv.Controller, password: srv.Password, http: newHTTPClient(1)}
	before := srv.Learned()
	spam := testMessage("offer", "Cheap pills, best prices, click here now, limited offer, act today, free money")
	if err := c.Learn(context.Background(), true, "alice@example.org", strings.NewReader(spam), int64(len(spam))); err != nil {
		t.Fatal(err)
	}
	ham := testMessage("minutes", "The minutes of Tuesday's meeting are attached; please review them before Friday's call")
	if err := c.Learn(context.Background(), false, "alice@example.org", strings.NewReader(ham), int64(len(ham))); err != nil {
		t.Fatal(err)
	}
	if got := srv.Learned(); got != before+2 {
		t.Errorf("learned = %d, want %d", got, before+2)
	}
	// The same message again is no error (rspamd: already learned).
	if err := c.Learn(context.Background(), true, "alice@example.org", strings.NewReader(spam), int64(len(spam))); err != nil {
		t.Errorf("learning again: %v", err)
	}
}
