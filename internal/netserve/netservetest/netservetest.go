// Package netservetest plays the slow and silent clients of connection
// attacks (slowloris, silent or trickling TLS clients) against protocol
// servers on loopback, in tests.
package netservetest

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// A Feed writes to a connection until stop is closed.
type Feed func(stop <-chan struct{})

// Silent sends nothing.
func Silent(<-chan struct{}) {}

// Trickle writes first, then the octet b every interval, until stop is
// closed or a write fails.
func Trickle(c net.Conn, first []byte, b byte, interval time.Duration) Feed {
	return func(stop <-chan struct{}) {
		if len(first) > 0 {
			c.Write(first)
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
			}
		}
	}
}

// HeldFor runs feed on c until the server closes c, and returns how long
// the server kept it open and what it sent meanwhile. A connection still
// open after bound fails the test. A reset (octets the server did not
// read) counts as closed.
func HeldFor(t testing.TB, c net.Conn, bound time.Duration, feed Feed) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go feed(stop)
	c.SetReadDeadline(start.Add(bound))
	got, err := io.ReadAll(c)
	held := time.Since(start)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v (read %q)", held.Round(time.Millisecond), got)
	}
	return held, string(got)
}

// StalledHandshakes connects twice to the implicit-TLS listener at addr:
// once to send nothing, once to trickle a ClientHello (a handshake
// record's first octet, then one octet every 100 ms). It returns how long
// the server held each connection; one held longer than bound fails the
// test.
func StalledHandshakes(t testing.TB, addr string, bound time.Duration) []time.Duration {
	t.Helper()
	var held []time.Duration
	for _, trickle := range []bool{false, true} {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		feed := Silent
		if trickle {
			feed = Trickle(c, []byte{0x16}, 0x03, 100*time.Millisecond)
		}
		d, _ := HeldFor(t, c, bound, feed)
		c.Close()
		held = append(held, d)
	}
	return held
}
