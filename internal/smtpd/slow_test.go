package smtpd

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// trickle writes one octet of s every interval until s is sent or stop
// is closed.
func trickle(c *rawClient, s string, interval time.Duration, stop <-chan struct{}) {
	for i := range len(s) {
		if _, err := c.C.Write([]byte{s[i]}); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(interval):
		}
	}
}

// cutWithin reads the reply that ends a trickling session and checks
// that it came within limit of began.
func cutWithin(t *testing.T, c *rawClient, began time.Time, limit time.Duration) {
	t.Helper()
	c.expect("421 4.4.2")
	if el := time.Since(began); el > limit {
		t.Fatalf("the slow client held the session for %v (deadline %v)", el, limit)
	}
	// The server closes with the trickled octets it did not read still
	// in its receive buffer: the kernel answers with a reset, which is
	// as closed as an EOF.
	rest, err := io.ReadAll(c.R)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("expected the connection closed: %v", err)
	}
	if len(rest) > 0 {
		t.Fatalf("data after the 421: %q", rest)
	}
}

// Issue 11: a client sending one octet every 5 s held its session for
// 661 s and more, the data timeout starting again at each read. The data
// now has a deadline: DataTimeout plus a second per MinDataRate octets.
// Here 300 ms plus 1 ms per octet; the client sends an octet every 50 ms
// for up to 6 s.
func TestDataDeadlineSlowloris(t *testing.T) {
	cfg := testConfig()
	cfg.DataTimeout, cfg.MinDataRate = 300*time.Millisecond, 1000
	ts := start(t, cfg, nil)
	for _, bdat := range []bool{false, true} {
		c := greeted(t, ts.addr)
		c.hello()
		c.transaction("a@example.org", "b@mx.test")
		if bdat {
			c.Send("BDAT 1000\r\n")
		} else {
			c.cmd("DATA", "354 ")
		}
		began := time.Now()
		stop := make(chan struct{})
		go trickle(c, strings.Repeat("x", 120), 50*time.Millisecond, stop)
		cutWithin(t, c, began, 3*time.Second)
		close(stop)
	}
	if len(ts.d.messages()) != 0 {
		t.Fatal("a partial message was delivered")
	}
	if !strings.Contains(ts.logs.String(), "data=true octets=") {
		t.Fatalf("no timeout logged:\n%s", ts.logs.String())
	}
}

// A client that sends faster than MinDataRate earns time: a message that
// takes longer than DataTimeout in all gets through.
func TestDataDeadlineEarnedByRate(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 1 << 20
	cfg.DataTimeout, cfg.MinDataRate = 300*time.Millisecond, 1000
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.cmd("DATA", "354 ")
	block := strings.Repeat(strings.Repeat("y", 98)+"\r\n", 10) // 1000 octets: one more second
	for range 8 {
		c.Send(block)
		time.Sleep(100 * time.Millisecond)
	}
	c.Send(".\r\n")
	c.expect("250 2.0.0")
}

// A command line has a deadline too (RFC 5321 §4.5.3.2.7 sets the
// least): a line trickled an octet at a time is cut at CommandTimeout
// from the moment the server began to wait for it. (This held before
// issue 11; the test keeps it.)
func TestCommandLineDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.CommandTimeout = 300 * time.Millisecond
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	began := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go trickle(c, "NOOP "+strings.Repeat("z", 100), 50*time.Millisecond, stop)
	cutWithin(t, c, began, 3*time.Second)
}
