package netserve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Servers sharing a Limiter count an address's connections across all of
// them: the slots taken on one listener are missing on the other.
func TestSharedLimiterCountsAcrossServers(t *testing.T) {
	shared := NewLimiter("all", 0, 2)
	s1, addr1, _ := start(t, Config{Name: "one", Limits: []*Limiter{shared}}, handler{})
	defer s1.Shutdown(context.Background())
	s2, addr2, _ := start(t, Config{Name: "two", Limits: []*Limiter{NewLimiter("two", 10, 10), shared}}, handler{})
	defer s2.Shutdown(context.Background())
	c1, _, g1 := dial(t, addr1)
	c2, _, g2 := dial(t, addr1)
	_, _, g3 := dial(t, addr2)
	if g1 != "hello" || g2 != "hello" || g3 != "too many" {
		t.Fatalf("greetings %q %q %q", g1, g2, g3)
	}
	if n := s2.Connections(); n != 0 {
		t.Fatalf("the refused server holds %d slots", n)
	}
	c1.Close()
	c2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for shared.Connections() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("slots not released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// s2's own limiter gave back the slot it took when the shared one
	// refused; now the shared limit (2) is the one that binds on s2.
	_, _, g4 := dial(t, addr2)
	_, _, g5 := dial(t, addr2)
	_, _, g6 := dial(t, addr2)
	if g4 != "hello" || g5 != "hello" || g6 != "too many" {
		t.Fatalf("greetings on the second server %q %q %q", g4, g5, g6)
	}
}

// stuckHandler's Refuse waits until its connection's deadline.
type stuckHandler struct {
	handler
	started chan struct{}
}

func (h stuckHandler) Refuse(c net.Conn, _ netip.Addr, _ Refusal) {
	h.started <- struct{}{}
	io.Copy(io.Discard, c) // until the client closes or the deadline
}

// Refusals in progress are bounded: past MaxRefusals, connections over the
// limit are closed at once, without a reply and without a goroutine of
// their own.
func TestRefusalsInProgressAreBounded(t *testing.T) {
	h := stuckHandler{started: make(chan struct{}, 10)}
	s, addr, _ := start(t, Config{MaxConnectionsPerIP: 1, MaxRefusals: 2}, h)
	defer s.Shutdown(context.Background())
	dial(t, addr) // holds the one slot
	var stuck []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stuck = append(stuck, c)
		<-h.started
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("third refusal: read %d, %v; want the connection closed", n, err)
	}
	select {
	case <-h.started:
		t.Fatal("a third Refuse ran")
	default:
	}
	// A refusal that ends frees its place.
	stuck[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		select {
		case <-h.started:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no refusal ran after one ended")
		}
	}
}

// A flood of connections over the limit writes a bounded log: one line a
// second, which counts the refusals left out.
func TestRefusalLogIsRateLimited(t *testing.T) {
	var logged atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{MaxConnectionsPerIP: 1}, slog.New(refusalCounter{&logged}), handler{})
	go s.Serve(l)
	defer s.Shutdown(context.Background())
	addr := l.Addr().String()
	dial(t, addr)
	const flood = 200
	start := time.Now()
	for range flood {
		if _, _, g := dial(t, addr); g != "too many" {
			t.Fatalf("refusal %q", g)
		}
	}
	lines := int(logged.Load())
	if max := int(time.Since(start)/time.Second) + 2; lines > max {
		t.Fatalf("%d refusals logged %d lines; want at most %d", flood, lines, max)
	}
	if lines == 0 {
		t.Fatal("no refusal logged")
	}
}

// refusalCounter counts the log records of refused connections.
type refusalCounter struct{ n *atomic.Int64 }

func (h refusalCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h refusalCounter) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h refusalCounter) WithGroup(string) slog.Handler            { return h }
func (h refusalCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "connection refused") {
		h.n.Add(1)
	}
	return nil
}
