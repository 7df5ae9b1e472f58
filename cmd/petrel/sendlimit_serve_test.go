package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestServeSendLimits: with [send_limits] messages_per_hour = 2, the 3rd
// message an account submits within the hour is refused at MAIL FROM
// with 451 4.7.1 (another account is not); petrel user send-limit shows
// the count, raises the account's own limit (its 3rd goes through, its
// 4th not) and takes it back to the configured one.
func TestServeSendLimits(t *testing.T) {
	sub := testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = []\nsubmission = [%q]\nsubmissions = []\n"+
		"imap = []\nimaps = []\npop3 = []\npop3s = []\n[send_limits]\nmessages_per_hour = 2\n", sub))
	e.ok("", "domain", "add", "example.org")
	for _, u := range []string{"alice@example.org", "bob@example.org"} {
		e.ok("pw-"+u+"\n", "user", "add", u, "--password-stdin")
	}
	serveInBackground(t, e)
	send := func(user string) error {
		return e2eSubmit(sub, user, "pw-"+user, []string{"bob@example.org"}, outMessage(user, "hello", "bob@example.org"))
	}
	refused := func(err error) bool {
		var se *smtp.SMTPError
		return errors.As(err, &se) && se.Code == 451 && se.EnhancedCode == (smtp.EnhancedCode{4, 7, 1}) &&
			strings.Contains(err.Error(), "MAIL")
	}
	for i := range 2 {
		if err := send("alice@example.org"); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	if err := send("alice@example.org"); !refused(err) {
		t.Fatalf("3rd message: %v, want 451 4.7.1 at MAIL", err)
	}
	if err := send("bob@example.org"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	if out := e.ok("", "user", "send-limit", "alice@example.org"); !strings.HasPrefix(out, "messages_per_hour\t2\t2\n") {
		t.Fatalf("send-limit shows %q", out)
	}
	e.ok("", "user", "send-limit", "alice@example.org", "3", "-", "-", "-")
	if err := send("alice@example.org"); err != nil {
		t.Fatalf("3rd message under the account's own limit: %v", err)
	}
	if err := send("alice@example.org"); !refused(err) {
		t.Fatalf("4th message: %v, want 451 4.7.1", err)
	}
	if out := e.ok("", "user", "send-limit", "alice@example.org", "default"); !strings.HasPrefix(out, "messages_per_hour\t3\t2\n") {
		t.Fatalf("back to the default: %q", out)
	}
	if r := e.run("", "user", "send-limit", "alice@example.org", "x", "-", "-", "-"); r.code == 0 {
		t.Fatal("a bad count was accepted")
	}
}
