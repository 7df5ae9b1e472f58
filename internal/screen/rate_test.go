package screen_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestRates: each limit lets its count through per minute, then refuses
// (421 4.7.0 for connections, 451 4.7.1 for MAIL and RCPT); the window
// slides, so the client gets its turn back gradually, and another
// client, or one of the same IPv6 /64 counted as one, has its own count.
func TestRates(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	s := screen.New(screen.Config{Hostname: "mx.test", ConnectionRate: 3, MessageRate: 2, RecipientRate: 4, Now: clk.Now}, nil, nil)
	c := s.Connect(ctx, clean, discard)
	for i := range 3 {
		if rf := s.Connect(ctx, clean, discard).Admit(); rf != nil {
			t.Fatalf("connection %d refused: %v", i+1, rf.Reply)
		}
	}
	if rf := c.Admit(); rf == nil || rf.Reply.Code != 421 || rf.Reply.Enhanced.String() != "4.7.0" || rf.Reason != screen.ReasonRateLimit {
		t.Fatalf("4th connection in a minute: %+v, want 421 4.7.0 rate_limit", rf)
	}
	for i := range 2 {
		if rf := c.Mail(); rf != nil {
			t.Fatalf("MAIL %d refused", i+1)
		}
	}
	if rf := c.Mail(); rf == nil || rf.Reply.Code != 451 || rf.Reply.Enhanced.String() != "4.7.1" {
		t.Fatalf("3rd MAIL in a minute: %+v, want 451 4.7.1", rf)
	}
	for i := range 4 {
		if rf := c.Rcpt(); rf != nil {
			t.Fatalf("RCPT %d refused", i+1)
		}
	}
	if rf := c.Rcpt(); rf == nil || rf.Reply.Code != 451 {
		t.Fatalf("5th RCPT in a minute: %+v, want 451", rf)
	}
	// Another client is not affected; two addresses of one /64 are one.
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	if rf := s.Connect(ctx, v6a, discard).Mail(); rf != nil {
		t.Fatal("another client refused")
	}
	s.Connect(ctx, v6a, discard).Mail()
	if rf := s.Connect(ctx, v6b, discard).Mail(); rf == nil {
		t.Fatal("the /64's third MAIL in a minute passed")
	}
	// 90 s later the previous minute covers half the window: with 2
	// MAIL counted there, one counts now, so one more passes, not two.
	clk.Add(90 * time.Second)
	if rf := c.Mail(); rf != nil {
		t.Fatal("MAIL refused once the window slid")
	}
	if rf := c.Mail(); rf == nil {
		t.Fatal("a second MAIL passed while the previous minute still weighs 1")
	}
	clk.Add(2 * time.Minute)
	if rf := c.Mail(); rf != nil {
		t.Fatal("MAIL refused after two quiet minutes")
	}
}

// TestPregreetCache: the wait applies to a client until it passes, then
// not for PregreetTTL; an early talker is made to wait again.
func TestPregreetCache(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	s := screen.New(screen.Config{PregreetWait: time.Second, PregreetTTL: time.Hour, Now: clk.Now}, nil, nil)
	c := s.Connect(ctx, clean, discard)
	if c.PregreetWait() != time.Second {
		t.Fatal("a new client is not made to wait")
	}
	if rf := c.Pregreet(false); rf != nil {
		t.Fatal("a polite client refused")
	}
	if w := s.Connect(ctx, clean, discard).PregreetWait(); w != 0 {
		t.Fatalf("a client that passed waits %v", w)
	}
	clk.Add(2 * time.Hour)
	c = s.Connect(ctx, clean, discard)
	if c.PregreetWait() != time.Second {
		t.Fatal("a client that passed 2h ago (TTL 1h) is not made to wait")
	}
	c.Pregreet(false)
	if rf := c.EarlyTalker("behind EHLO"); rf == nil || rf.Reply.Code != 554 || rf.Reason != screen.ReasonEarlyTalker {
		t.Fatalf("early talker: %+v", rf)
	}
	if s.Connect(ctx, clean, discard).PregreetWait() != time.Second {
		t.Fatal("an early talker is not made to wait again")
	}
	if rf := s.Connect(ctx, clean, discard).Pregreet(true); rf == nil || rf.Reply.Code != 554 {
		t.Fatalf("talking during the wait: %+v", rf)
	}
}
