package main

import (
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// protocolLogins tries user and password on IMAP (LOGIN), POP3
// (USER/PASS) and submission (AUTH PLAIN) and returns, per protocol,
// whether the login succeeded.
func protocolLogins(t *testing.T, imapAddr, pop3Addr, subAddr, user, password string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	c := testkit.Dial(t, imapAddr)
	c.Expect("* OK")
	_, st := (&testkit.IMAP{Conn: c}).Cmd(fmt.Sprintf("a LOGIN %q %q", user, password))
	out["imap"] = strings.HasPrefix(st, "a OK")
	c.C.Close()

	p := testkit.Dial(t, pop3Addr)
	p.Expect("+OK")
	p.Ask("USER "+user, "+OK")
	out["pop3"] = strings.HasPrefix(p.Ask("PASS "+password, ""), "+OK")
	p.C.Close()

	conn, err := net.DialTimeout("tcp", subAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := smtp.NewClient(conn, "localhost") // net/smtp sends PLAIN in clear to localhost only
	if err != nil {
		t.Fatal(err)
	}
	out["smtp"] = sc.Auth(smtp.PlainAuth("", user, password, "localhost")) == nil
	sc.Close()
	return out
}

// App passwords made and revoked with the CLI, beside a running server:
// IMAP, POP3 and SMTP AUTH take one until it is revoked; with "only on",
// the main password is refused while one exists (README "App passwords").
func TestAppPasswordsOverProtocols(t *testing.T) {
	imapAddr, pop3Addr, subAddr := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = []\nsubmission = [%q]\nsubmissions = []\n"+
		"imap = [%q]\nimaps = []\npop3 = [%q]\npop3s = []\nlmtp = []\n[tls]\nallow_insecure_auth = true\n",
		subAddr, imapAddr, pop3Addr))
	e.ok("", "domain", "add", "example.org")
	e.ok("main-password\n", "user", "add", "bob@example.org", "--password-stdin")
	serveInBackground(t, e)

	secret := strings.TrimSpace(e.ok("", "user", "app-password", "add", "bob@example.org", "phone"))
	if len(secret) != 26 {
		t.Fatalf("app-password add printed %q", secret)
	}
	if list := e.ok("", "user", "app-password", "list", "bob@example.org"); !strings.HasPrefix(list, "phone\t") {
		t.Errorf("app-password list = %q", list)
	}
	all := map[string]bool{"imap": true, "pop3": true, "smtp": true}
	none := map[string]bool{"imap": false, "pop3": false, "smtp": false}
	check := func(what, password string, want map[string]bool) {
		t.Helper()
		got := protocolLogins(t, imapAddr, pop3Addr, subAddr, "bob@example.org", password)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: logins %v, want %v", what, got, want)
		}
	}
	check("app password", secret, all)
	check("main password", "main-password", all)

	e.ok("", "user", "app-password", "only", "bob@example.org", "on")
	check("main password, app passwords only", "main-password", none)
	check("app password, app passwords only", secret, all)

	e.ok("", "user", "app-password", "revoke", "bob@example.org", "phone")
	check("revoked app password", secret, none)
	// None left: the main password works again.
	check("main password, none left", "main-password", all)
	if r := e.run("", "user", "app-password", "revoke", "bob@example.org", "phone"); r.code != exitFail || !strings.Contains(r.stderr, "no app password called") {
		t.Errorf("second revoke: %+v", r)
	}
}

func TestAppPasswordAndAdminCommands(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "bob@example.org", "--password-stdin")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"user", "app-password", "add", "bob@example.org"}, exitUsage, "usage: petrel user app-password"},
		{[]string{"user", "app-password", "zap", "bob@example.org", "x"}, exitUsage, "usage: petrel user app-password"},
		{[]string{"user", "app-password", "add", "bob@example.org", "bad/name"}, exitFail, "app password name"},
		{[]string{"user", "app-password", "add", "nobody@example.org", "phone"}, exitFail, "no account"},
		{[]string{"user", "app-password", "only", "bob@example.org", "maybe"}, exitUsage, "want on or off"},
		{[]string{"user", "admin", "bob@example.org", "yes"}, exitUsage, "want on or off"},
		{[]string{"user", "admin", "nobody@example.org", "on"}, exitFail, "no account"},
		{[]string{"token", "create"}, exitUsage, "usage: petrel token"},
		{[]string{"token", "list", "--read-only"}, exitUsage, "--read-only belongs to token create"},
		{[]string{"token", "create", "a.b"}, exitFail, "token name"},
		{[]string{"token", "revoke", "nothere"}, exitFail, "no token called nothere"},
	} {
		r := e.run("", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("petrel %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.msg)
		}
	}
	e.ok("", "user", "admin", "bob@example.org", "on")
	tok := strings.TrimSpace(e.ok("", "token", "create", "--read-only", "monitor"))
	if !strings.HasPrefix(tok, "ptk.monitor.") {
		t.Errorf("token create printed %q", tok)
	}
	e.ok("", "token", "create", "ci")
	list := e.ok("", "token", "list")
	if !strings.HasPrefix(list, "ci\tread-write\t") || !strings.Contains(list, "\nmonitor\tread-only\t") {
		t.Errorf("token list = %q", list)
	}
	e.ok("", "token", "revoke", "ci")
	if list := e.ok("", "token", "list"); strings.Contains(list, "ci\t") {
		t.Errorf("token list after revoke = %q", list)
	}
}
