package smtpd

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/testkit"
)

// startSCRAM is startAuth with STARTTLS and a real accounts service
// (SCRAM needs its stored secrets) holding alice@example.org.
func startSCRAM(t *testing.T, gcfg authguard.Config) *authHarness {
	return startAuth(t, gcfg, func(cfg *Config, acfg *AuthConfig) {
		cfg.TLS = serverTLS(t)
		st := testkit.OpenStore(t, t.TempDir())
		t.Cleanup(func() { st.Close() })
		svc := testkit.Accounts(st, accounts.Options{})
		testkit.AddUser(t, svc, "alice@example.org", testPassword)
		acfg.Auth = svc
	})
}

// tlsSession greets, starts TLS and sends EHLO again; it returns the
// client, its TLS state and the EHLO reply.
func tlsSession(t *testing.T, addr string) (*rawClient, *tls.ConnectionState, []string) {
	c := greeted(t, addr)
	c.hello()
	c.cmd("STARTTLS", "220 ")
	tc := tls.Client(c.C, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c = rawOn(t, tc)
	cs := tc.ConnectionState()
	return c, &cs, c.hello()
}

// scramAUTH runs AUTH with an independent client (testkit.SCRAMClient)
// and returns the final reply line.
func scramAUTH(c *rawClient, sc *testkit.SCRAMClient, initial bool) string {
	return sc.Run(c.Conn, "AUTH", "334 ", initial)
}

func TestSCRAMSubmission(t *testing.T) {
	h := startSCRAM(t, authguard.Config{})
	c, cs, ehlo := tlsSession(t, h.addr)
	if !slices.Contains(ehlo, "250 AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN") &&
		!slices.Contains(ehlo, "250-AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN") {
		t.Fatalf("EHLO over TLS: %q", ehlo)
	}
	// RFC 5802 §6: "y" where -PLUS was offered is a downgrade.
	sc := testkit.NewSCRAMClient(t, "alice@example.org", testPassword, testkit.SCRAMClaimBinding, cs)
	if st := scramAUTH(c, sc, true); !strings.HasPrefix(st, "535 5.7.8") {
		t.Fatalf("downgrade: %q", st)
	}
	sc = testkit.NewSCRAMClient(t, "alice@example.org", testPassword, testkit.SCRAMBinding, cs)
	if st := scramAUTH(c, sc, false); !strings.HasPrefix(st, "235 2.7.0") || !sc.Valid() {
		t.Fatalf("SCRAM-SHA-256-PLUS: %q (server signature verified: %v)", st, sc.Valid())
	}
	c.cmd("MAIL FROM:<alice@example.org>", "250 ")

	c, cs, _ = tlsSession(t, h.addr)
	sc = testkit.NewSCRAMClient(t, "alice@example.org", testPassword, testkit.SCRAMNoBinding, cs)
	if st := scramAUTH(c, sc, true); !strings.HasPrefix(st, "235 2.7.0") || !sc.Valid() {
		t.Fatalf("SCRAM-SHA-256: %q", st)
	}
}

// Wrong passwords over SCRAM are failed logins for the guard: after
// IPBlock of them the client is blocked.
func TestSCRAMSubmissionFailuresCounted(t *testing.T) {
	h := startSCRAM(t, authguard.Config{IPBlock: 2, IPFree: 100, AccountFree: 100})
	c, _, _ := tlsSession(t, h.addr)
	for range 2 {
		sc := testkit.NewSCRAMClient(t, "alice@example.org", "wrong", testkit.SCRAMNoBinding, nil)
		if st := scramAUTH(c, sc, true); !strings.HasPrefix(st, "535 5.7.8") {
			t.Fatalf("wrong password: %q", st)
		}
	}
	sc := testkit.NewSCRAMClient(t, "alice@example.org", testPassword, testkit.SCRAMNoBinding, nil)
	if st := scramAUTH(c, sc, true); !strings.HasPrefix(st, "421 4.7.0") {
		t.Fatalf("after two failures: %q", st)
	}
}
