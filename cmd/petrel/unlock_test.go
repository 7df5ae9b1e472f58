package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// imapLoginTimed logs in over a new connection from 127.0.0.1 and
// returns the tagged reply and how long it took.
func imapLoginTimed(t *testing.T, addr, user, pass string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	r := imapFrom(t, "127.0.0.1", addr, user, pass)
	return r, time.Since(start)
}

// TestUserUnlock: `petrel user unlock ADDRESS CLIENT_IP` reaches the
// running server through its control socket and makes it forget the
// failures that slowed the next login (issue 11, item 6).
func TestUserUnlock(t *testing.T) {
	imapAddr := testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = []\nsubmission = []\nsubmissions = []\n"+
		"imap = [%q]\nimaps = []\npop3 = []\npop3s = []\n[tls]\nallow_insecure_auth = true\n", imapAddr))
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	if r := e.run("", "user", "unlock", "bob@example.org"); r.code != 1 || !strings.Contains(r.stderr, "no running server") {
		t.Fatalf("unlock without a server: %+v", r)
	}
	serveInBackground(t, e)

	for range 4 { // free failures
		if st, _ := imapLoginTimed(t, imapAddr, "bob@example.org", "guess"); !strings.Contains(st, "AUTHENTICATIONFAILED") {
			t.Fatalf("wrong password: %q", st)
		}
	}
	if st, d := imapLoginTimed(t, imapAddr, "bob@example.org", "guess"); !strings.Contains(st, "AUTHENTICATIONFAILED") || d < 900*time.Millisecond {
		t.Fatalf("fifth failure: %q after %v, want a delay of 1 s", st, d)
	}
	out := e.ok("", "user", "unlock", "Bob@Example.org", "127.0.0.1")
	if out != "Bob@Example.org: failed logins forgotten\n127.0.0.1: failed logins forgotten\n" {
		t.Fatalf("unlock printed %q", out)
	}
	// Without the unlock this login would wait 2 s before its answer;
	// the bound leaves the login itself (argon2id) time on a loaded CI.
	if st, d := imapLoginTimed(t, imapAddr, "bob@example.org", "secret-pw"); !strings.HasPrefix(st, "a OK") || d >= 1900*time.Millisecond {
		t.Fatalf("login after unlock: %q after %v, want OK without the 2 s delay", st, d)
	}
	if out := e.ok("", "user", "unlock", "bob@example.org"); out != "bob@example.org: no failed logins to forget\n" {
		t.Fatalf("second unlock printed %q", out)
	}
}
