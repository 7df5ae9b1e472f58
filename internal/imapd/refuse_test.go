package imapd

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
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
	e.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := &raw{t: e.t, c: c, br: bufio.NewReader(c)}
	return r, r.line()
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
	if rest, err := io.ReadAll(over.br); err != nil || len(rest) > 0 {
		t.Fatalf("after BYE: %q, %v", rest, err)
	}
	first.ok("a NOOP")
}
