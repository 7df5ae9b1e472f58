package imapd

import (
	"io"
	"strings"
	"testing"
	"time"
)

// trickle writes s one octet every gap until done is closed or a write
// fails.
func trickle(r *raw, s string, gap time.Duration, done <-chan struct{}) {
	for i := 0; i < len(s); i++ {
		select {
		case <-done:
			return
		case <-time.After(gap):
		}
		if _, err := io.WriteString(r.C, s[i:i+1]); err != nil {
			return
		}
	}
}

// cutOff trickles s and returns the line the server ended the session
// with and how long it took after the first octet.
func cutOff(t *testing.T, r *raw, s string) (string, time.Duration) {
	t.Helper()
	done := make(chan struct{})
	defer close(done)
	start := time.Now()
	go trickle(r, s, 200*time.Millisecond, done)
	r.C.SetReadDeadline(time.Now().Add(40 * time.Second))
	l, err := r.R.ReadString('\n')
	if err != nil {
		t.Fatalf("no reply: %v (%q) after %v", err, l, time.Since(start))
	}
	if _, err := r.R.ReadString('\n'); err != io.EOF {
		t.Errorf("the connection stayed open after %q: %v", l, err)
	}
	return strings.TrimSpace(l), time.Since(start)
}

// TestSlowClientCutOff: a client that trickles a command line, or a
// literal it announced, is cut off with BYE within CommandTimeout plus
// what the octets it sent pay for at MinTransferRate (issue 11, must-fix 8),
// though the autologout timer is much longer; idle time between commands
// and in IDLE is still governed by that timer.
func TestSlowClientCutOff(t *testing.T) {
	const base = 2 * time.Second
	e := newEnv(t, func(c *Config, _ *Deps) {
		c.CommandTimeout = base
		c.IdleTimeout, c.LoginTimeout = 30*time.Second, 30*time.Second
	})
	// The bound: base, plus 40 octets at 1024/s, plus generous slack for
	// a loaded machine; the autologout timer is 30 s.
	const bound = base + 6*time.Second
	for name, input := range map[string]string{
		"line before login": "a LOGIN " + strings.Repeat("x", 100),
		"line":              "b NOOP " + strings.Repeat("x", 100),
		"literal":           "c APPEND INBOX {100000+}\r\n" + strings.Repeat("x", 100),
		"second literal":    "d APPEND INBOX {3+}\r\nabc {100000+}\r\n" + strings.Repeat("x", 100),
	} {
		var r *raw
		if name == "line before login" {
			r = e.dial()
		} else {
			r = e.login()
		}
		l, took := cutOff(t, r, input)
		t.Logf("%s: %q after %v", name, l, took)
		if l != "* BYE Command not received in time" || took > bound {
			t.Errorf("%s: %q after %v, want BYE within %v", name, l, took, bound)
		}
	}

	// A client sending at the minimum rate is not cut off: 8 KiB at
	// 4 KiB/s takes twice the base time.
	r := e.login()
	r.Send("f APPEND INBOX {8192+}\r\n")
	for i := 0; i < 8; i++ {
		time.Sleep(250 * time.Millisecond)
		r.Send(strings.Repeat("y", 1024))
	}
	r.Send("\r\n")
	if _, tagged := r.Until("f"); !strings.HasPrefix(tagged, "f OK") {
		t.Errorf("APPEND at 4 KiB/s: %q", tagged)
	}
	// Idle between commands and in IDLE, longer than the command clock.
	time.Sleep(base + time.Second)
	r.OK("g SELECT INBOX")
	r.Send("h IDLE\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	time.Sleep(base + time.Second)
	r.Send("DONE\r\n")
	if _, tagged := r.Until("h"); !strings.HasPrefix(tagged, "h OK") {
		t.Errorf("IDLE longer than the command clock: %q", tagged)
	}
}

// TestSlowReaderCutOff: a client that asks for a large message and stops
// reading is cut off once a write has waited CommandTimeout plus its size
// at MinTransferRate, though the autologout timer is much longer.
func TestSlowReaderCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) {
		c.CommandTimeout = 2 * time.Second
		c.MinTransferRate = 1 << 20
		c.IdleTimeout = 60 * time.Second
	})
	const size = 32 << 20 // more than the socket buffers on loopback hold
	e.deliver("", testMessage("big", strings.Repeat("x", size)), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.Send("f FETCH 1 BODY.PEEK[]\r\n")
	// Not reading: the server's write waits, then gives up (2 s plus
	// 64 KiB at 1 MiB/s); margin for a loaded machine.
	time.Sleep(6 * time.Second)
	r.C.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, r.R)
	if err != nil || n >= size {
		t.Errorf("the server sent %d octets of %d and then %v, want the connection closed", n, size, err)
	}
}
