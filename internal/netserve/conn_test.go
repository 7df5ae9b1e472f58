package netserve

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// Await: a silent peer times out after idle; once the first octet is in,
// the rest of the command has whole, which later octets do not extend;
// after Interrupt it returns ErrInterrupted, also from a pending wait.
func TestConnAwait(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	c := NewConn(server, time.Second)
	r := bufio.NewReader(c.Raw())
	if err := c.Await(r, 50*time.Millisecond, time.Second); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent peer: %v", err)
	}
	go client.Write([]byte("N"))
	if err := c.Await(r, time.Second, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	r.ReadByte()
	start := time.Now()
	go func() {
		for range 10 {
			if _, err := client.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
	}()
	_, err := r.ReadString('\n')
	if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("trickling peer: %v after %v, want the deadline within 2s", err, time.Since(start))
	}
	done := make(chan error)
	go func() { done <- c.Await(bufio.NewReader(c.Raw()), time.Minute, time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	c.Interrupt()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("interrupted wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Interrupt did not end the wait")
	}
	if c.SetReadTimeout(time.Minute) {
		t.Error("SetReadTimeout after Interrupt")
	}
}
