package imapd

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// On imaps a client that opens a connection and sends nothing, or
// trickles its ClientHello, is cut off at HandshakeTimeout.
func TestTLSHandshakeDeadline(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.HandshakeTimeout = 500 * time.Millisecond })
	for _, first := range [][]byte{nil, {0x16}} {
		c, err := net.Dial("tcp", e.tlsAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stop := make(chan struct{})
		go func() { // the first octets, then one every 100 ms
			if first == nil {
				return
			}
			c.Write(first)
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					c.Write([]byte{0x03})
				}
			}
		}()
		start := time.Now()
		c.SetReadDeadline(start.Add(10 * time.Second))
		_, err = io.Copy(io.Discard, c)
		close(stop)
		if errors.Is(err, os.ErrDeadlineExceeded) { // EOF or a reset: closed
			t.Fatalf("first octets %x: connection still open after %v: %v", first, time.Since(start).Round(time.Millisecond), err)
		}
	}
}
