package pop3d

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/netserve/netservetest"
)

// A client that sends a command line one octet at a time is cut off when
// the line is LineTimeout old, although each octet arrives well within
// the idle timeout (issue 11, must-fix 8: before, the line had the whole
// 10-minute idle timeout, renewed by every completed line).
func TestTricklingCommandLineIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.LineTimeout = time.Second })
	cl := e.dial()
	feed := netservetest.Trickle(cl.C, []byte("C"), 'A', 100*time.Millisecond)
	held, got := netservetest.HeldFor(t, cl.C, 15*time.Second, feed)
	if want := "-ERR Command line not completed in time, closing connection\r\n"; got != want {
		t.Fatalf("server sent %q, want %q", got, want)
	}
	if held > 8*time.Second {
		t.Fatalf("held for %v with a 1 s line timeout", held)
	}
}

// The line timeout runs from a line's first octet: between commands the
// client has the idle timeout (RFC 1939 §3), and a line sent in pieces
// within the bound is served.
func TestLineTimeoutLeavesIdleTimeAlone(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.LineTimeout = 500 * time.Millisecond })
	cl := e.dial()
	time.Sleep(1500 * time.Millisecond) // idle, past the line timeout
	cl.Send("CA")
	time.Sleep(100 * time.Millisecond)
	cl.cmd("PA", "+OK")
	cl.multi()
	cl.cmd("QUIT", "+OK")
}

func TestDefaultLineAndHandshakeTimeouts(t *testing.T) {
	c := (Config{}).withDefaults()
	if c.LineTimeout != 30*time.Second || c.HandshakeTimeout != 30*time.Second {
		t.Fatalf("line timeout %v, handshake timeout %v", c.LineTimeout, c.HandshakeTimeout)
	}
}

// A client that opens a pop3s connection and sends nothing, or trickles
// its ClientHello, is cut off at HandshakeTimeout (before: the 10-minute
// idle timeout).
func TestSilentTLSClientIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.HandshakeTimeout = 500 * time.Millisecond })
	netservetest.StalledHandshakes(t, e.tlsAddr, 8*time.Second)
}

// After STLS, a client that never starts the handshake is cut off at
// HandshakeTimeout too.
func TestSilentClientAfterSTLSIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.HandshakeTimeout = 500 * time.Millisecond })
	cl := e.dial()
	cl.cmd("STLS", "+OK")
	if held, _ := netservetest.HeldFor(t, cl.C, 15*time.Second, netservetest.Silent); held > 8*time.Second {
		t.Fatalf("held for %v with a 500 ms handshake timeout", held)
	}
}

// On pop3s the refusal of a connection over the limit comes through TLS,
// within netserve's refusal deadline.
func TestImplicitTLSRefusalIsSentOverTLS(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxConnectionsPerIP = 1 })
	first := e.dialTLS()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.tlsAddr, e.client)
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	over := e.wrap(c)
	over.Expect("-ERR [SYS/TEMP] Too many connections")
	over.Closed()
	first.cmd("QUIT", "+OK")
}
