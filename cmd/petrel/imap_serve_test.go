package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

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

	exists := make(chan uint32, 8)
	c, err := imapclient.DialInsecure(imapAddr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob@example.org", "secret-pw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: a@example.net\r\nTo: bob@example.org\r\nSubject: ping\r\n\r\nhello\r\n"
	if err := e2eSend(smtpAddr, "client.example.net", "a@example.net", []string{"bob@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d", n)
		}
	case <-time.After(time.Second):
		t.Fatal("IDLE did not report the SMTP delivery within 1s")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
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
