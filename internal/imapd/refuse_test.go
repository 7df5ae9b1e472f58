package imapd

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// dialTLS connects to the implicit-TLS listener with crypto/tls; the
// handshake must succeed. It returns the first line the server sends.
func (e *env) dialTLS() (*raw, string) {
	e.t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", e.tlsAddr, e.client)
	if err != nil {
		e.t.Fatalf("TLS handshake: %v", err)
	}
	r := rawOn(testkit.Wrap(e.t, c))
	return r, r.Line()
}

// On the implicit-TLS listener (imaps, port 993) the BYE refusing a
// connection over the limit comes after the handshake, through TLS
// (issue 11, must-fix 9): before, it was written in plaintext and a TLS
// client only saw a failed handshake.
func TestImplicitTLSRefusalIsSentOverTLS(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxConnectionsPerIP = 1 })
	first, g := e.dialTLS()
	if !strings.HasPrefix(g, "* OK [CAPABILITY ") {
		t.Fatalf("greeting %q", g)
	}
	over, bye := e.dialTLS()
	if bye != "* BYE [UNAVAILABLE] Too many connections" {
		t.Fatalf("refusal %q", bye)
	}
	over.EOF()
	first.OK("a NOOP")
}
