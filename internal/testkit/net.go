package testkit

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// Listen listens on a free port of 127.0.0.1, closed when the test ends
// (closing it twice is harmless).
func Listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// FreeAddr returns a loopback address that was free a moment ago, for a
// server started later. The port is below Linux's ephemeral range
// (32768-60999): a port from that range (":0") can meanwhile become the
// source port of some test's outgoing connection, and the server then
// fails to bind it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		return addr
	}
	t.Fatal("no free loopback port in 20000-31999")
	return ""
}
