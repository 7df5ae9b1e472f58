package testkit

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
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

// handedOut are the ports FreeAddr gave in this process: a port handed
// out but not bound yet looks free, and a second call picked it again
// (two listeners of one test's configuration got the same address). The
// test binary's one piece of shared state; nothing but tests imports
// testkit.
var handedOut sync.Map

// FreeAddr returns a loopback address that was free a moment ago, for a
// server started later, and that no other call in this process returned.
// The port is below Linux's ephemeral range (32768-60999): a port from
// that range (":0") can meanwhile become the source port of some test's
// outgoing connection, and the server then fails to bind it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if _, taken := handedOut.LoadOrStore(port, true); taken {
			continue
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
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
