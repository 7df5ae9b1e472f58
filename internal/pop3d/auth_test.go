package pop3d

import (
	"crypto/tls"
	"encoding/base64"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func secureOnly(c *Config, _ *Deps) { c.AllowInsecureAuth = false }

func TestCredentialsNeedTLS(t *testing.T) {
	e := newEnv(t, secureOnly)
	e.deliver(testMessage(1))
	cl := e.dial()
	cl.cmd("CAPA", "+OK")
	capa := cl.multi()
	if slices.Contains(capa, "USER") || slices.ContainsFunc(capa, func(l string) bool { return strings.HasPrefix(l, "SASL") }) || !slices.Contains(capa, "STLS") {
		t.Fatalf("CAPA without TLS = %q: no USER or SASL, but STLS", capa)
	}
	cl.cmd("USER "+testUser, "-ERR Authentication requires TLS")
	cl.cmd("PASS "+testPass, "-ERR Authentication requires TLS")
	cl.cmd("AUTH PLAIN "+b64("\x00"+testUser+"\x00"+testPass), "-ERR Authentication requires TLS")
	cl.cmd("STLS", "+OK Begin TLS negotiation")
	tc := tls.Client(cl.C, e.client)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	cl = e.wrap(tc)
	cl.cmd("CAPA", "+OK")
	capa = cl.multi()
	if !slices.Contains(capa, "USER") || !slices.Contains(capa, "SASL SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN") || slices.Contains(capa, "STLS") {
		t.Fatalf("CAPA after STLS = %q", capa)
	}
	cl.cmd("STLS", "-ERR STLS not available")
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK Maildrop has 1 messages")
	cl.cmd("QUIT", "+OK")
}

func TestImplicitTLS(t *testing.T) {
	e := newEnv(t, secureOnly)
	cl := e.dialTLS()
	cl.cmd("CAPA", "+OK")
	if capa := cl.multi(); slices.Contains(capa, "STLS") || !slices.Contains(capa, "USER") {
		t.Fatalf("CAPA over pop3s = %q", capa)
	}
	cl.cmd("AUTH PLAIN "+b64("\x00"+testUser+"\x00"+testPass), "+OK")
	cl.cmd("QUIT", "+OK")
}

// Commands pipelined after STLS were sent in clear text: they are
// dropped, never run as if they had come over TLS.
func TestSTLSDropsPipelinedCommands(t *testing.T) {
	e := newEnv(t, secureOnly)
	cl := e.dial()
	cl.Send("STLS\r\nUSER " + testUser + "\r\n")
	cl.Expect("+OK Begin TLS")
	tc := tls.Client(cl.C, e.client)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	cl = e.wrap(tc)
	cl.cmd("PASS "+testPass, "-ERR Send USER first")
}

func TestAuthMechanisms(t *testing.T) {
	e := newEnv(t, nil)
	plain := b64("\x00" + testUser + "\x00" + testPass)
	for _, tc := range []struct {
		name  string
		steps [][2]string // line to send, expected reply prefix
	}{
		{"PLAIN initial response", [][2]string{{"AUTH PLAIN " + plain, "+OK Maildrop"}}},
		{"PLAIN continuation", [][2]string{{"AUTH PLAIN", "+ "}, {plain, "+OK Maildrop"}}},
		{"plain lower case", [][2]string{{"auth plain " + plain, "+OK Maildrop"}}},
		{"PLAIN with authzid", [][2]string{{"AUTH PLAIN " + b64(testUser+"\x00"+testUser+"\x00"+testPass), "+OK Maildrop"}}},
		{"LOGIN", [][2]string{{"AUTH LOGIN", "+ " + b64("Username:")}, {b64(testUser), "+ " + b64("Password:")}, {b64(testPass), "+OK Maildrop"}}},
		{"LOGIN initial response", [][2]string{{"AUTH LOGIN " + b64(testUser), "+ " + b64("Password:")}, {b64(testPass), "+OK Maildrop"}}},
		{"list", [][2]string{{"AUTH", "+OK"}}},
		{"wrong password", [][2]string{{"AUTH PLAIN " + b64("\x00"+testUser+"\x00nope"), "-ERR [AUTH] "}}},
		{"other authzid", [][2]string{{"AUTH PLAIN " + b64("bob@example.org\x00"+testUser+"\x00"+testPass), "-ERR [AUTH] "}}},
		{"cancel", [][2]string{{"AUTH LOGIN", "+ "}, {"*", "-ERR Authentication cancelled"}}},
		{"bad base64", [][2]string{{"AUTH PLAIN !!!", "-ERR Invalid base64"}}},
		{"bad base64 continuation", [][2]string{{"AUTH PLAIN", "+ "}, {"%%%", "-ERR Invalid base64"}}},
		{"malformed PLAIN", [][2]string{{"AUTH PLAIN " + b64("no NULs"), "-ERR Invalid SASL"}}},
		{"empty initial response", [][2]string{{"AUTH PLAIN =", "-ERR Invalid SASL"}}},
		{"unknown mechanism", [][2]string{{"AUTH CRAM-MD5", "-ERR Unsupported"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := e.dial()
			for _, st := range tc.steps {
				cl.cmd(st[0], st[1])
			}
			if tc.name == "list" {
				if got := cl.multi(); !slices.Equal(got, []string{"SCRAM-SHA-256", "PLAIN", "LOGIN"}) {
					t.Fatalf("AUTH list = %q", got)
				}
			}
			cl.cmd("QUIT", "+OK")
		})
	}
}

func TestUserPassErrors(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.dial()
	cl.cmd("PASS "+testPass, "-ERR Send USER first")
	cl.cmd("USER nobody@example.org", "+OK") // unknown users are not revealed here
	cl.cmd("PASS "+testPass, "-ERR [AUTH] Invalid user name or password")
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("NOOP", "-ERR") // not valid before login; breaks the USER/PASS pair
	cl.cmd("PASS "+testPass, "-ERR Send USER first")
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS wrong", "-ERR [AUTH] ")
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS wrong again", "-ERR [AUTH] ") // the third failure closes
	cl.Closed()
}

func TestPasswordWithSpaces(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK") // "correct horse" has a space
}

func TestThrottledLogins(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	guard := authguard.New(authguard.Config{IPFree: 100, IPBlock: 3, AccountFree: 100, BlockFor: time.Minute, Now: clock})
	e := newEnv(t, func(c *Config, d *Deps) { d.Throttle = guard; c.MaxAuthFailures = 10 })
	cl := e.dial()
	for range 3 {
		cl.cmd("USER "+testUser, "+OK")
		cl.cmd("PASS wrong", "-ERR [AUTH] ")
	}
	// Blocked: not even the right password is checked.
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "-ERR [SYS/TEMP] Too many failed logins")
	cl.cmd("AUTH PLAIN "+b64("\x00"+testUser+"\x00"+testPass), "-ERR [SYS/TEMP] ")
	now = now.Add(2 * time.Minute)
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK")
	cl.cmd("QUIT", "+OK")
}

func TestThrottleDelay(t *testing.T) {
	guard := authguard.New(authguard.Config{IPFree: 1, BaseDelay: 300 * time.Millisecond, IPBlock: 100})
	e := newEnv(t, func(c *Config, d *Deps) { d.Throttle = guard })
	ip := netip.MustParseAddr("127.0.0.1")
	for _, acct := range []string{"x", "y"} {
		at, _ := guard.Begin(ip, acct)
		at.Failure()
	}
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	start := time.Now()
	cl.cmd("PASS "+testPass, "+OK")
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("login after two failures took %v: no delay", d)
	}
}

// TestRefusedAuthLinesNotLogged: the lines a client pipelines after a
// refused AUTH LOGIN are read as commands; no log line names their text,
// in any case (review of issue 13: smtpd's "bad command" line did).
func TestRefusedAuthLinesNotLogged(t *testing.T) {
	e := newEnv(t, secureOnly)
	cl := e.dial()
	cl.cmd("AUTH LOGIN", "-ERR Authentication requires TLS")
	cl.cmd(b64(testUser), "-ERR")
	cl.cmd(b64(testPass), "-ERR")
	cl.cmd("QUIT", "+OK")
	logs := strings.ToLower(e.logs.String())
	for _, secret := range []string{testPass, b64(testPass), b64(testUser)} {
		if strings.Contains(logs, strings.ToLower(secret)) {
			t.Errorf("%q reached the log:\n%s", secret, e.logs.String())
		}
	}
}
