package managesieve

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

// startTLS dials, starts TLS and reads the capabilities again; it
// returns the client and its TLS state (the channel binding data).
func (e *env) startTLS() (*client, *tls.ConnectionState, response) {
	e.t.Helper()
	cl, _ := e.dial()
	cl.ok("STARTTLS")
	tc := tls.Client(cl.C, e.client)
	if err := tc.Handshake(); err != nil {
		e.t.Fatal(err)
	}
	tl := &client{testkit.Wrap(e.t, tc)}
	cs := tc.ConnectionState()
	return tl, &cs, tl.response()
}

// scramAuthenticate runs AUTHENTICATE with an independent client
// (testkit.SCRAMClient): challenges and responses are quoted base64
// strings (RFC 5804 §2.1), the server-final message comes in the OK's
// SASL response code. It returns the status line.
func scramAuthenticate(t *testing.T, cl *client, sc *testkit.SCRAMClient) string {
	cl.Send(`AUTHENTICATE "` + sc.Mech + `"` + "\r\n")
	for {
		l := cl.line()
		if ch, ok := strings.CutPrefix(l, `"`); ok {
			resp, err := sc.Step(strings.TrimSuffix(ch, `"`))
			if err != nil {
				resp = "*"
			}
			cl.Send(`"` + resp + `"` + "\r\n")
			continue
		}
		if rest, ok := strings.CutPrefix(l, `OK (SASL "`); ok {
			if _, err := sc.Step(rest[:strings.IndexByte(rest, '"')]); err != nil {
				t.Fatalf("server signature refused: %v", err)
			}
		}
		return l
	}
}

func TestSCRAM(t *testing.T) {
	e := newEnv(t, nil)
	cl, cs, caps := e.startTLS()
	if v, _ := hasCap(caps.data, "SASL"); !strings.HasPrefix(v, "SCRAM-SHA-256-PLUS SCRAM-SHA-256 ") {
		t.Fatalf("SASL over TLS: %q", v)
	}
	// RFC 5802 §6: "y" where -PLUS was offered is a downgrade.
	sc := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMClaimBinding, cs)
	if st := scramAuthenticate(t, cl, sc); !strings.HasPrefix(st, "NO") {
		t.Fatalf("downgrade: %q", st)
	}
	sc = testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMBinding, cs)
	if st := scramAuthenticate(t, cl, sc); !strings.HasPrefix(st, `OK (SASL "`) || !sc.Valid() {
		t.Fatalf("SCRAM-SHA-256-PLUS: %q (server signature verified: %v)", st, sc.Valid())
	}
	cl.ok("LISTSCRIPTS")

	cl, _ = e.dial() // AllowInsecureAuth: no TLS, no -PLUS
	sc = testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMNoBinding, nil)
	if st := scramAuthenticate(t, cl, sc); !strings.HasPrefix(st, `OK (SASL "`) || !sc.Valid() {
		t.Fatalf("SCRAM-SHA-256: %q", st)
	}
	cl, _ = e.dial()
	sc = testkit.NewSCRAMClient(t, testUser, "wrong", testkit.SCRAMNoBinding, nil)
	if st := scramAuthenticate(t, cl, sc); !strings.HasPrefix(st, "NO") {
		t.Fatalf("wrong password: %q", st)
	}
}
