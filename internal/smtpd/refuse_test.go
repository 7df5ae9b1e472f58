package smtpd

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// dialTLSRaw connects with crypto/tls and returns a raw client on the TLS
// connection; the handshake must succeed.
func dialTLSRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, clientTLS())
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return rawOn(t, c)
}

// On an implicit-TLS listener (submissions, port 465) the refusal of a
// connection over the limit comes after the handshake, through TLS: a TLS
// client reads 421 4.7.0 instead of failing its handshake on a plaintext
// reply (issue 11, must-fix 9).
func TestImplicitTLSRefusalIsSentOverTLS(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	cfg.ImplicitTLS = true
	cfg.MaxConnectionsPerIP = 1
	ts := start(t, cfg, nil)
	first := dialTLSRaw(t, ts.addr)
	first.expect("220 ")
	over := dialTLSRaw(t, ts.addr)
	over.expect("421 4.7.0 mx.test Too many connections")
	over.EOF()
	first.cmd("NOOP", "250 ")
}
