package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestServeIMAPIdleWokenBySMTP runs `petrel serve` in-process with SMTP and
// IMAP listeners: a client IDLEs on INBOX, a message arrives over SMTP, and
// the client hears EXISTS within a second of the 250 reply. [imap]
// max_connections_per_ip reaches the listener: a second connection from
// the same address is refused.
func TestServeIMAPIdleWokenBySMTP(t *testing.T) {
	smtpAddr, imapAddr, imapsAddr := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = [%q]\nsubmission = []\nsubmissions = []\n"+
		"imap = [%q]\nimaps = [%q]\npop3 = []\npop3s = []\n[tls]\nallow_insecure_auth = true\n"+
		"[imap]\nmax_connections_per_ip = 1\n[smtp]\nverify_senders = false\n",
		smtpAddr, imapAddr, imapsAddr))
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")

	serveInBackground(t, e)

	msg := "From: a@example.net\r\nTo: bob@example.org\r\nSubject: ping\r\n\r\nhello\r\n"
	c := smtpWakesIdle(t, smtpAddr, imapAddr, msg)
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 1 {
		t.Errorf("STATUS %+v %v", st, err)
	}
	if conn, err := net.DialTimeout("tcp", imapAddr, 5*time.Second); err != nil {
		t.Errorf("second connection: %v", err)
	} else {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		greeting, _ := io.ReadAll(conn)
		conn.Close()
		if !strings.HasPrefix(string(greeting), "* BYE [UNAVAILABLE]") {
			t.Errorf("second connection from one address got %q, want * BYE [UNAVAILABLE]", greeting)
		}
	}
	// The implicit-TLS listener greets with TLS.
	if conn, err := net.DialTimeout("tcp", imapsAddr, 5*time.Second); err != nil {
		t.Errorf("imaps: %v", err)
	} else {
		conn.Close()
	}
}
