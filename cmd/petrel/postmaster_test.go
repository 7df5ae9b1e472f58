package main

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/authguard"
)

// Issue 11: with no postmaster address (a domain and its users, as
// "Going live" sets them up), RCPT TO:<postmaster> on the MX got 554 5.7.1
// Relay access denied. RFC 5321 §4.5.1: it is accepted, in any case, and
// lands with the account created first.
func TestMXAcceptsBarePostmaster(t *testing.T) {
	s := startSubmissionSite(t, authguard.Config{})
	c, err := smtp.Dial(s.mx)
	must(t, err)
	defer c.Close()
	if err := c.Mail("someone@remote.example", nil); err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"<postmaster>", "<POSTMASTER>", "<postmaster@example.org>"} {
		if err := c.Rcpt(strings.Trim(rcpt, "<>"), nil); err != nil {
			t.Fatalf("RCPT TO:%s: %v", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: for the postmaster\r\n\r\nhello\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	got := s.inbox("alice@example.org")
	if len(got) != 1 || !strings.Contains(got[0], "Subject: for the postmaster") {
		t.Fatalf("alice's INBOX: %q", got)
	}
}
