package main

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/testkit"
)

// ehlo sends EHLO and reads the reply to its last line.
func ehlo(c *testkit.Conn) {
	c.T.Helper()
	c.Send("EHLO client.example\r\n")
	for !strings.HasPrefix(c.Expect("250"), "250 ") {
	}
}

// findLine returns the first log line with message msg whose fields
// include want, failing t when there is none.
func findLine(t *testing.T, lines []testkit.LogLine, msg string, want map[string]any) testkit.LogLine {
	t.Helper()
next:
	for _, l := range lines {
		if l.Str("msg") != msg {
			continue
		}
		for k, v := range want {
			if l[k] != v {
				continue next
			}
		}
		return l
	}
	t.Fatalf("no log line %q with %v", msg, want)
	return nil
}

// TestSubmissionTrace: one submission over 465 as it shows in the JSON
// log (issue 13). The login, the refused MAIL FROM, the accepted message
// and its hand-over to the queue all name the listener the connection
// came in on (submissions, not submission), its conn and the account;
// the message lines carry the msg_id the client was told and the queue
// line the queue ID too. The 553 for a sender the user does not own is
// logged and counted as sender_not_owned, not relay. Every line keeps
// the field conventions (testkit.JSONLines).
func TestSubmissionTrace(t *testing.T) {
	s := startSubmissionSite(t, authguard.Config{})
	tc, err := tls.Dial("tcp", s.sbs, insecureTLS())
	must(t, err)
	c := testkit.Wrap(t, tc)
	c.Expect("220 ")
	ehlo(c)
	c.Ask("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice@example.org\x00"+alicePW)), "235 ")
	c.Ask("MAIL FROM:<bob@example.org>", "553 5.7.1 ")
	c.Ask("MAIL FROM:<alice@example.org>", "250 ")
	c.Ask("RCPT TO:<bob@example.org>", "250 ")
	c.Ask("RCPT TO:<x@remote.example>", "250 ")
	c.Ask("DATA", "354 ")
	c.Send("From: alice@example.org\r\nSubject: trace\r\n\r\nhello\r\n.\r\n")
	msgID := strings.TrimPrefix(c.Expect("250 2.0.0 OK: queued as "), "250 2.0.0 OK: queued as ")
	c.Ask("QUIT", "221 ")
	c.Closed()

	lines := testkit.JSONLines(t, s.logs.String())
	login := findLine(t, lines, "login", map[string]any{"account": "alice@example.org"})
	conn := login.Str("conn")
	if conn == "" || login.Str("listener") != "submissions" || login.Str("remote") != "127.0.0.1" {
		t.Errorf("login line %v: want listener submissions, a conn, remote 127.0.0.1", login)
	}
	session := map[string]any{"conn": conn, "account": "alice@example.org", "listener": "submissions"}
	refused := findLine(t, lines, "sender rejected", session)
	if refused["code"] != 553.0 || refused.Str("reason") != "sender_not_owned" || refused.Str("from") != "bob@example.org" {
		t.Errorf("MAIL FROM refusal logged as %v", refused)
	}
	message := map[string]any{"msg_id": msgID, "conn": conn, "account": "alice@example.org", "listener": "submissions"}
	if l := findLine(t, lines, "message accepted", message); l["rcpts"] != 2.0 {
		t.Errorf("accepted line %v: want rcpts 2", l)
	}
	if l := findLine(t, lines, "queued for remote delivery", message); l.Str("queue_id") != "out" || l["rcpts"] != 1.0 {
		t.Errorf("queue line %v: want queue_id out (the fake queue's), rcpts 1", l)
	}
	for _, l := range lines {
		if l.Str("conn") == conn && l.Str("listener") != "submissions" {
			t.Errorf("a line of the 465 session names listener %q: %v", l.Str("listener"), l)
		}
	}
	testkit.CheckMetrics(t, s.reg, "", map[string]float64{
		"petrel_smtpd_rejections_total{listener=submissions,reason=sender_not_owned}": 1,
	}, "reason=relay")
}

// TestServeListenerNames: in `petrel serve`, the log lines and metrics of
// a connection name the listener it came in on (issue 13): pop3s and
// submissions, where they said pop3 and submission before (one POP3
// server for both ports; a login logger fixed to "submission").
func TestServeListenerNames(t *testing.T) {
	a := map[string]string{}
	for _, k := range []string{"submissions", "pop3", "pop3s", "http"} {
		a[k] = testkit.FreeAddr(t)
	}
	e := newEnv(t, fmt.Sprintf("[listen]\nsmtp = []\nsubmission = []\nimap = []\nimaps = []\n"+
		"submissions = [%q]\npop3 = [%q]\npop3s = [%q]\nhttp = [%q]\n[log]\nlevel = \"debug\"\nformat = \"json\"\n",
		a["submissions"], a["pop3"], a["pop3s"], a["http"]))
	logs := serveInBackground(t, e)
	dialTLS := func(addr string) *testkit.Conn {
		tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		must(t, err)
		return testkit.Wrap(t, tc)
	}
	p := dialTLS(a["pop3s"])
	p.Expect("+OK")
	p.Ask("USER nobody@example.org", "+OK")
	p.Ask("PASS wrong", "-ERR")
	p.Ask("QUIT", "+OK")
	p = testkit.Dial(t, a["pop3"])
	p.Expect("+OK")
	p.Ask("QUIT", "+OK")
	c := dialTLS(a["submissions"])
	c.Expect("220 ")
	ehlo(c)
	c.Ask("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00nobody@example.org\x00wrong")), "535 ")
	c.Ask("QUIT", "221 ")

	want := map[[2]string]bool{{"login failed", "pop3s"}: true, {"login failed", "submissions"}: true,
		{"connected", "pop3"}: true, {"connected", "pop3s"}: true}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		lines := testkit.JSONLines(t, logs.String())
		for _, l := range lines {
			delete(want, [2]string{l.Str("msg"), l.Str("listener")})
			if l.Str("listener") == "pop3" && l["tls"] == true {
				t.Fatalf("a pop3s connection logged as pop3: %v", l)
			}
		}
		if len(want) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log lines %v in:\n%s", want, logs.String())
		}
	}
	code, body := testkit.HTTPGet(t, "http://"+a["http"]+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, m := range []string{`petrel_pop3_sessions_total{listener="pop3s"} 1`, `petrel_pop3_sessions_total{listener="pop3"} 1`,
		`petrel_smtpd_connections_total{listener="submissions"} 1`} {
		if !strings.Contains(body, m+"\n") {
			t.Errorf("/metrics lacks %q", m)
		}
	}
}
