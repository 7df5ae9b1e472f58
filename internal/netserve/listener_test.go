package netserve

import (
	"io"
	"net"
	"testing"
	"time"
)

// A limited listener hands out at most maxPerIP connections of one client
// at a time: the one over it is closed at once, and a slot comes back
// when a connection is closed.
func TestLimitedListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := NewLimiter("test", 100, 2)
	ln := lim.Listener(inner)
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := dial(), dial()
	s1, s2 := <-accepted, <-accepted
	_, _ = a, b
	over := dial()
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the third connection of one client: read %v, want EOF (closed at once)", err)
	}
	if n := lim.Connections(); n != 2 {
		t.Fatalf("%d connections counted, want 2", n)
	}
	s1.Close()
	s1.Close() // twice: one slot given back
	if n := lim.Connections(); n != 1 {
		t.Fatalf("after a close: %d connections counted, want 1", n)
	}
	dial()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("a connection within the limit was not accepted")
	}
	s2.Close()
}
