package imapd

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/testkit"
)

// dialSCRAM connects to the implicit-TLS listener; it returns the
// client's TLS state, the source of its channel binding data.
func (e *env) dialSCRAM() (*raw, *tls.ConnectionState) {
	e.t.Helper()
	tc, err := tls.Dial("tcp", e.tlsAddr, e.client)
	if err != nil {
		e.t.Fatal(err)
	}
	r := rawOn(testkit.Wrap(e.t, tc))
	r.Expect("* OK [CAPABILITY IMAP4rev1 IMAP4rev2")
	cs := tc.ConnectionState()
	return r, &cs
}

// scramLogin runs AUTHENTICATE with an independent client
// (testkit.SCRAMClient), with an initial response (RFC 4959) or without,
// and returns the tagged reply.
func scramLogin(r *raw, cl *testkit.SCRAMClient, tag string, initial bool) string {
	return cl.Run(r.Conn, tag+" AUTHENTICATE", "+ ", initial)
}

func TestSCRAMOverTLS(t *testing.T) {
	e := newEnv(t, nil)
	r, cs := e.dialSCRAM()
	if caps, _ := r.Cmd("c CAPABILITY"); !has(caps, " AUTH=SCRAM-SHA-256-PLUS AUTH=SCRAM-SHA-256 AUTH=PLAIN ") {
		t.Fatalf("CAPABILITY over TLS: %q", caps)
	}
	for _, c := range []struct {
		mode    testkit.SCRAMMode
		initial bool
	}{{testkit.SCRAMBinding, false}, {testkit.SCRAMBinding, true}, {testkit.SCRAMNoBinding, false}, {testkit.SCRAMNoBinding, true}} {
		r, cs := e.dialSCRAM()
		cl := testkit.NewSCRAMClient(t, testUser, testPass, c.mode, cs)
		if st := scramLogin(r, cl, "a", c.initial); !strings.HasPrefix(st, "a OK [CAPABILITY") || !cl.Valid() {
			t.Fatalf("%s initial=%v: %q, server signature verified %v", cl.Mech, c.initial, st, cl.Valid())
		}
		r.OK("b SELECT INBOX")
	}
	// RFC 5802 §6: -PLUS was offered, the client says it binds but
	// thinks the server cannot: someone stripped -PLUS. Refused.
	cl := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMClaimBinding, cs)
	if st := scramLogin(r, cl, "d", false); !strings.HasPrefix(st, "d NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("downgrade: %q", st)
	}
	if _, st := r.Cmd("e SELECT INBOX"); !strings.HasPrefix(st, "e BAD") {
		t.Fatalf("logged in after a downgrade: %q", st)
	}
}

// Without TLS there is no -PLUS, and a client that binds but saw no
// -PLUS ("y") logs in: no downgrade happened.
func TestSCRAMWithoutTLS(t *testing.T) {
	e := newEnv(t, nil)
	r := e.dial()
	caps, _ := r.Cmd("c CAPABILITY")
	if !has(caps, " AUTH=SCRAM-SHA-256 AUTH=PLAIN ") || has(caps, "SCRAM-SHA-256-PLUS") {
		t.Fatalf("CAPABILITY without TLS: %q", caps)
	}
	r.Send("p AUTHENTICATE SCRAM-SHA-256-PLUS\r\n")
	r.Expect("p NO")
	cl := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMClaimBinding, nil)
	if st := scramLogin(r, cl, "a", false); !strings.HasPrefix(st, "a OK") || !cl.Valid() {
		t.Fatalf("\"y\" without TLS: %q", st)
	}
}

// A wrong password over SCRAM is a failed login for the guard: after
// IPBlock of them the right one is refused too.
func TestSCRAMFailuresCounted(t *testing.T) {
	e := newEnv(t, func(c *Config, d *Deps) {
		d.Guard = authguard.New(authguard.Config{IPBlock: 2, IPFree: 100, AccountFree: 100})
	})
	for _, tag := range []string{"a", "b"} {
		r := e.dial()
		cl := testkit.NewSCRAMClient(t, testUser, "wrong", testkit.SCRAMNoBinding, nil)
		if st := scramLogin(r, cl, tag, true); !strings.HasPrefix(st, tag+" NO [AUTHENTICATIONFAILED]") {
			t.Fatalf("wrong password: %q", st)
		}
	}
	r := e.dial()
	cl := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMNoBinding, nil)
	if st := scramLogin(r, cl, "c", true); !strings.HasPrefix(st, "c NO [UNAVAILABLE]") {
		t.Fatalf("after two failures: %q", st)
	}
}

// An account made before SCRAM (its password hash but no secrets) fails
// SCRAM until it logs in once with AUTHENTICATE PLAIN; then SCRAM works.
func TestSCRAMSecretsGainedAtLogin(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.st.CreateAccount(ctx, "bob@example.org", e.acct.PasswordHash); err != nil { // alice's password
		t.Fatal(err)
	}
	r := e.dial()
	cl := testkit.NewSCRAMClient(t, "bob@example.org", testPass, testkit.SCRAMNoBinding, nil)
	if st := scramLogin(r, cl, "a", true); !strings.HasPrefix(st, "a NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("without secrets: %q", st)
	}
	r.OK("b AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00bob@example.org\x00"+testPass)))
	r = e.dial()
	cl = testkit.NewSCRAMClient(t, "bob@example.org", testPass, testkit.SCRAMNoBinding, nil)
	if st := scramLogin(r, cl, "c", true); !strings.HasPrefix(st, "c OK") || !cl.Valid() {
		t.Fatalf("after PLAIN: %q", st)
	}
}

// Cancelling at the last step (the client does not trust the server's
// signature) leaves the session unauthenticated.
func TestSCRAMCancelAtServerFinal(t *testing.T) {
	e := newEnv(t, nil)
	r := e.dial()
	cl := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMNoBinding, nil)
	r.Send("a AUTHENTICATE SCRAM-SHA-256 " + cl.First() + "\r\n")
	ch := r.Expect("+ ")
	resp, err := cl.Step(strings.TrimPrefix(ch, "+ "))
	if err != nil {
		t.Fatal(err)
	}
	r.Send(resp + "\r\n")
	r.Expect("+ ") // server-final
	r.Send("*\r\n")
	r.Expect("a BAD")
	if _, st := r.Cmd("b SELECT INBOX"); !strings.HasPrefix(st, "b BAD") {
		t.Fatalf("logged in after a cancel: %q", st)
	}
}
