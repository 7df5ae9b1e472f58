package pop3d

import (
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/testkit"
)

// dialSCRAM connects to the implicit-TLS listener and returns the
// client's TLS state, the source of its channel binding data.
func (e *env) dialSCRAM() (*client, *tls.ConnectionState) {
	e.t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.tlsAddr, e.client)
	if err != nil {
		e.t.Fatal(err)
	}
	cs := c.ConnectionState()
	return e.greet(c), &cs
}

// scramAuth runs AUTH with an independent client (testkit.SCRAMClient)
// and returns the final status line.
func scramAuth(cl *client, sc *testkit.SCRAMClient, initial bool) string {
	return sc.Run(cl.Conn, "AUTH", "+ ", initial)
}

func TestSCRAM(t *testing.T) {
	e := newEnv(t, func(c *Config, d *Deps) {
		d.Throttle = authguard.New(authguard.Config{IPBlock: 2, IPFree: 100, AccountFree: 100})
	})
	e.deliver(testMessage(1))
	wrongThenBlocked(t, e)
	e = newEnv(t, nil)
	e.deliver(testMessage(1))
	cl, cs := e.dialSCRAM()
	cl.cmd("CAPA", "+OK")
	if capa := cl.multi(); !slices.Contains(capa, "SASL SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN") {
		t.Fatalf("CAPA over TLS: %q", capa)
	}
	// RFC 5802 §6: a client that binds sent "y" where -PLUS was offered.
	sc := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMClaimBinding, cs)
	if st := scramAuth(cl, sc, false); !strings.HasPrefix(st, "-ERR [AUTH]") {
		t.Fatalf("downgrade: %q", st)
	}
	sc = testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMBinding, cs)
	if st := scramAuth(cl, sc, false); !strings.HasPrefix(st, "+OK") || !sc.Valid() {
		t.Fatalf("SCRAM-SHA-256-PLUS: %q (server signature verified: %v)", st, sc.Valid())
	}
	cl.cmd("STAT", "+OK 1 ")
	cl.cmd("QUIT", "+OK")

	cl, cs = e.dialSCRAM()
	sc = testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMNoBinding, cs)
	if st := scramAuth(cl, sc, true); !strings.HasPrefix(st, "+OK") || !sc.Valid() {
		t.Fatalf("SCRAM-SHA-256 over TLS: %q", st)
	}
	cl.cmd("QUIT", "+OK")

}

// wrongThenBlocked: wrong passwords over SCRAM count for the guard
// (IPBlock 2): the right password is refused next.
func wrongThenBlocked(t *testing.T, e *env) {
	cl := e.dial()
	for range 2 {
		sc := testkit.NewSCRAMClient(t, testUser, "wrong", testkit.SCRAMNoBinding, nil)
		if st := scramAuth(cl, sc, true); !strings.HasPrefix(st, "-ERR [AUTH]") {
			t.Fatalf("wrong password: %q", st)
		}
	}
	sc := testkit.NewSCRAMClient(t, testUser, testPass, testkit.SCRAMNoBinding, nil)
	if st := scramAuth(cl, sc, true); !strings.HasPrefix(st, "-ERR [SYS/TEMP]") {
		t.Fatalf("after failures: %q", st)
	}
}
