package smtpd

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// closedWithin feeds c until the server closes it; it fails when that
// takes longer than bound.
func closedWithin(t *testing.T, c net.Conn, bound time.Duration, feed func(stop <-chan struct{})) time.Duration {
	t.Helper()
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go feed(stop)
	c.SetReadDeadline(start.Add(bound))
	// EOF or a reset (octets the server did not read): closed.
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	return time.Since(start)
}

// trickleOctets writes first, then one octet every interval until stop.
func trickleOctets(c net.Conn, first []byte, interval time.Duration) func(<-chan struct{}) {
	return func(stop <-chan struct{}) {
		c.Write(first)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{0x03}); err != nil {
					return
				}
			}
		}
	}
}

// On submissions (implicit TLS) a client that sends nothing, or trickles
// its ClientHello, is cut off at HandshakeTimeout; after STARTTLS too
// (issue 11, must-fix 8: before, the handshake had CommandTimeout, 5
// minutes by default).
func TestTLSHandshakeDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	cfg.CommandTimeout = time.Minute
	cfg.HandshakeTimeout = 500 * time.Millisecond
	plain := start(t, cfg, nil)
	cfg.ImplicitTLS = true
	implicit := start(t, cfg, nil)

	silent := func(<-chan struct{}) {}
	c := dialRaw(t, "tcp", implicit.addr).c
	closedWithin(t, c, 10*time.Second, silent)
	c = dialRaw(t, "tcp", implicit.addr).c
	closedWithin(t, c, 10*time.Second, trickleOctets(c, []byte{0x16}, 100*time.Millisecond))
	s := greeted(t, plain.addr)
	s.cmd("STARTTLS", "220 ")
	closedWithin(t, s.c, 10*time.Second, silent)
}
