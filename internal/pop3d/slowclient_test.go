package pop3d

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// heldFor runs feed on c until the server closes c (or bound passes:
// test failure) and returns how long the server kept it open and what
// it sent meanwhile.
func heldFor(t *testing.T, c net.Conn, bound time.Duration, feed func(stop <-chan struct{})) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go feed(stop)
	c.SetReadDeadline(start.Add(bound))
	got, err := io.ReadAll(c)
	held := time.Since(start)
	if errors.Is(err, os.ErrDeadlineExceeded) { // EOF or a reset: closed
		t.Fatalf("connection still open after %v (read %q): %v", held.Round(time.Millisecond), got, err)
	}
	return held, string(got)
}

// trickle writes one octet every interval until stop.
func trickle(c net.Conn, interval time.Duration) func(<-chan struct{}) {
	return func(stop <-chan struct{}) {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("A")); err != nil {
					return
				}
			}
		}
	}
}

// A client that sends a command line one octet at a time is cut off when
// the line is LineTimeout old, although each octet arrives well within
// the idle timeout (issue 11, must-fix 8: before, the line had the whole
// 10-minute idle timeout, renewed by every completed line).
func TestTricklingCommandLineIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.LineTimeout = time.Second })
	cl := e.dial()
	cl.send("C")
	held, got := heldFor(t, cl.c, 15*time.Second, trickle(cl.c, 100*time.Millisecond))
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
	cl.send("CA")
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
	for _, feed := range []func(net.Conn) func(<-chan struct{}){
		func(net.Conn) func(<-chan struct{}) { return func(<-chan struct{}) {} },
		func(c net.Conn) func(<-chan struct{}) {
			c.Write([]byte{0x16}) // a handshake record's first octet
			return trickle(c, 100*time.Millisecond)
		},
	} {
		c, err := net.Dial("tcp", e.tlsAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if held, _ := heldFor(t, c, 15*time.Second, feed(c)); held > 8*time.Second {
			t.Fatalf("held for %v with a 500 ms handshake timeout", held)
		}
	}
}

// After STLS, a client that never starts the handshake is cut off at
// HandshakeTimeout too.
func TestSilentClientAfterSTLSIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.HandshakeTimeout = 500 * time.Millisecond })
	cl := e.dial()
	cl.cmd("STLS", "+OK")
	if held, _ := heldFor(t, cl.c, 15*time.Second, func(<-chan struct{}) {}); held > 8*time.Second {
		t.Fatalf("held for %v with a 500 ms handshake timeout", held)
	}
}
