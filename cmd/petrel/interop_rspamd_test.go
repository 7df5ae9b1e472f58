package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestInteropRspamd runs petrel serve with a real rspamd (PETREL_INTEROP=1;
// README "Spam and abuse"): GTUBE is refused at the end of DATA with 550
// 5.7.1, a clean message lands in INBOX with its X-Spam-Status, rspamd's
// "add header" in Junk with $Junk; IMAP MOVE into Junk and out of it
// teaches rspamd (its learned count), and with rspamd stopped mail is
// accepted marked Unscanned (the default failure policy).
func TestInteropRspamd(t *testing.T) {
	rs := testkit.StartRspamd(t)
	smtpAddr, imapAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = [%q]\nsubmission = []\nsubmissions = []\n"+
		"imap = [%q]\nimaps = []\npop3 = []\npop3s = []\n[tls]\nallow_insecure_auth = true\n"+
		"[smtp]\nverify_senders = false\n[rspamd]\nurl = %q\ncontroller_url = %q\npassword = %q\ntimeout = \"5s\"\n",
		smtpAddr, imapAddr, rs.Normal, rs.Controller, rs.Password))
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	logs := serveInBackground(t, e)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("petrel serve:\n%s", logs.String())
		}
	})

	msg := func(subject, body string) []byte {
		return []byte("From: <sender@example.net>\r\nTo: <bob@example.org>\r\nSubject: " + subject +
			"\r\nMessage-ID: <" + subject + "@example.net>\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\n" + body + "\r\n")
	}
	send := func(m []byte) error {
		return e2eSend(smtpAddr, "client.example.net", "sender@example.net", []string{"bob@example.org"}, m)
	}
	var se *smtp.SMTPError
	if err := send(msg("gtube", testkit.GTUBE)); !errors.As(err, &se) || se.Code != 550 ||
		se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) || !strings.Contains(err.Error(), "end of DATA") {
		t.Fatalf("GTUBE: %v, want 550 5.7.1 at the end of DATA", err)
	}
	if err := send(msg("lunch", "See you at noon, Bob: the usual place near the station, with the minutes of Tuesday's meeting.")); err != nil {
		t.Fatalf("clean message: %v", err)
	}
	if err := send(msg(testkit.RspamdJunkSubject, "Cheap pills, best prices, click here now, limited offer, act today, free money.")); err != nil {
		t.Fatalf("junk message: %v", err)
	}

	c := &testkit.IMAP{Conn: testkit.Dial(t, imapAddr)}
	c.Expect("* OK")
	c.OK(`a LOGIN bob@example.org secret-pw`)
	fetch := func(mailbox string) string {
		c.OK("s SELECT " + mailbox)
		return strings.Join(c.OK("f UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])"), "\n")
	}
	inbox, junk := fetch("INBOX"), fetch("Junk")
	if strings.Count(inbox, "* ") != 1 || !strings.Contains(inbox, "X-Spam-Status: No, score=") ||
		!strings.Contains(inbox, "Subject: lunch") || strings.Contains(inbox, "$Junk") {
		t.Fatalf("INBOX:\n%s", inbox)
	}
	if strings.Count(junk, "* ") != 1 || !strings.Contains(junk, "X-Spam-Status: Yes, score=") ||
		!strings.Contains(junk, "PETREL_TEST_JUNK=8.00") || !strings.Contains(junk, "$Junk") {
		t.Fatalf("Junk:\n%s", junk)
	}

	learned := rs.Learned()
	waitLearned := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if rs.Learned() >= want {
				return
			}
		}
		t.Fatalf("rspamd learned %d, want %d", rs.Learned(), want)
	}
	c.OK("s SELECT INBOX")
	start := time.Now()
	c.OK("m UID MOVE 1 Junk") // the clean message, judged spam by its user
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("MOVE took %v: it must not wait for rspamd", d)
	}
	waitLearned(learned + 1)
	c.OK("s SELECT Junk")
	c.OK("m UID MOVE 1 INBOX") // the junk message, judged ham
	waitLearned(learned + 2)

	rs.Stop()
	if err := send(msg("unscanned", "rspamd is down.")); err != nil {
		t.Fatalf("rspamd stopped: %v, want the message accepted", err)
	}
	inbox = fetch("INBOX")
	if !strings.Contains(inbox, "X-Spam-Status: Unscanned") || !strings.Contains(inbox, "Subject: unscanned") {
		t.Fatalf("INBOX after rspamd stopped:\n%s", inbox)
	}
}
