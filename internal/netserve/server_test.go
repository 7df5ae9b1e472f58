package netserve

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// lineSession greets, then answers each line with "ok" until interrupted;
// a stubborn one ignores Interrupt.
type lineSession struct {
	c         net.Conn
	stubborn  bool
	interrupt chan struct{}
}

func (s *lineSession) Run() {
	defer s.c.Close()
	s.c.Write([]byte("hello\n"))
	lines := make(chan string)
	go func() {
		r := bufio.NewReader(s.c)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- l
		}
	}()
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
			s.c.Write([]byte("ok\n"))
		case <-s.interrupt:
			if !s.stubborn {
				s.c.Write([]byte("bye\n"))
				return
			}
		}
	}
}

func (s *lineSession) Interrupt() { close(s.interrupt) }
func (s *lineSession) Close()     { s.c.Close() }

type handler struct{ stubborn bool }

func (h handler) NewSession(c net.Conn, _ netip.Addr) Session {
	return &lineSession{c: c, stubborn: h.stubborn, interrupt: make(chan struct{})}
}

func (h handler) Refuse(c net.Conn, _ netip.Addr, why Refusal) {
	defer c.Close()
	if why == TooManyConnections {
		c.Write([]byte("too many\n"))
	} else {
		c.Write([]byte("shutting down\n"))
	}
}

func start(t *testing.T, cfg Config, h Handler) (*Server, string, chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, slog.New(slog.DiscardHandler), h)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	return s, l.Addr().String(), done
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	first, _ := r.ReadString('\n')
	return c, r, strings.TrimSpace(first)
}

func TestPerIPLimit(t *testing.T) {
	s, addr, _ := start(t, Config{MaxConnectionsPerIP: 2}, handler{})
	defer s.Shutdown(context.Background())
	c1, _, g1 := dial(t, addr)
	c2, _, g2 := dial(t, addr)
	_, _, g3 := dial(t, addr)
	if g1 != "hello" || g2 != "hello" || g3 != "too many" {
		t.Fatalf("greetings %q %q %q", g1, g2, g3)
	}
	c1.Close()
	// The slot comes back once the first session has ended.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, g := dial(t, addr)
		if g == "hello" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slot not released after a session ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c2.Close()
}

func TestShutdownInterruptsIdleSessions(t *testing.T) {
	s, addr, served := start(t, Config{}, handler{})
	_, r, g := dial(t, addr)
	if g != "hello" {
		t.Fatalf("greeting %q", g)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if bye, _ := r.ReadString('\n'); bye != "bye\n" {
		t.Fatalf("interrupted session said %q", bye)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after Shutdown")
	}
}

func TestShutdownDeadlineClosesStubbornSessions(t *testing.T) {
	s, addr, _ := start(t, Config{}, handler{stubborn: true})
	_, r, _ := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline error", err)
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("stubborn session's connection not closed")
	}
}
