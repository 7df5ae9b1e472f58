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
	for _, rcpt := range []string{"<postmaster>", "<POSTMASTER>", "<postmaster@example.org>", "<abuse@example.org>"} {
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

// Issue 13: "petrel domain add" says where postmaster@ and abuse@ of the
// new domain go (RFC 5321 §4.5.1, RFC 2142 §2), makes them aliases of
// --postmaster, and refuses a --postmaster that would bounce, adding
// nothing.
func TestDomainAddPostmaster(t *testing.T) {
	e := newEnv(t, "")
	out := e.ok("", "domain", "add", "example.org")
	if !strings.Contains(out, "postmaster@example.org and abuse@example.org go to the first account you create") {
		t.Errorf("domain add on a fresh server said %q", out)
	}
	e.ok("pw\n", "user", "add", "alice@example.org", "--password-stdin")
	out = e.ok("", "domain", "add", "example.net")
	if want := "postmaster@example.net and abuse@example.net go to alice@example.org"; !strings.Contains(out, want) {
		t.Errorf("domain add said %q, want %q", out, want)
	}
	out = e.ok("", "domain", "add", "example.com", "--postmaster", "alice@example.org")
	if want := "postmaster@example.com and abuse@example.com: aliases of alice@example.org\n"; out != want {
		t.Errorf("domain add --postmaster said %q, want %q", out, want)
	}
	if got, want := e.ok("", "alias", "list"), "abuse@example.com\talice@example.org\npostmaster@example.com\talice@example.org\n"; got != want {
		t.Errorf("alias list = %q, want %q", got, want)
	}

	before := e.snapshot()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"domain", "add", "example.info", "--postmaster", "nobody@example.org"}, exitFail, "would bounce"},
		{[]string{"domain", "add", "example.info", "--postmaster=bob@example.info"}, exitFail, "no accounts yet"},
		{[]string{"domain", "list", "--postmaster", "alice@example.org"}, exitUsage, "--postmaster belongs to domain add"},
	} {
		r := e.run("", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("petrel %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.want)
		}
	}
	if after := e.snapshot(); after != before {
		t.Errorf("refused commands changed the directory:\n%q\n%q", before, after)
	}
	// domain del takes the two aliases domain add made with it (review of
	// issue 13: it was refused because of them).
	e.ok("", "domain", "del", "example.com")
	if got := e.ok("", "alias", "list"); got != "" {
		t.Errorf("alias list after domain del = %q, want none", got)
	}
}
