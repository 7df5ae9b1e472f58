package smtpd

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// harvestServer refuses every recipient but valid@mx.test with 550 5.1.1.
func harvestServer(t *testing.T, lim RcptErrorLimits) *testServer {
	t.Helper()
	cfg := testConfig()
	cfg.RcptErrors = lim
	ts := start(t, cfg, nil)
	ts.d.others = func(addr string) *smtpreply.Reply {
		if addr == "valid@mx.test" {
			return nil
		}
		return smtpreply.NoSuchUser(addr)
	}
	return ts
}

// pipelineRcpts sends n RCPTs of unknown users after MAIL in one write
// (then QUIT with quit) and returns the codes of the replies read until
// the connection closed.
func pipelineRcpts(t *testing.T, addr string, n int, quit bool) []string {
	t.Helper()
	c := greeted(t, addr)
	c.hello()
	c.cmd("MAIL FROM:<probe@attacker.test>", "250 ")
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "RCPT TO:<user%d@mx.test>\r\n", i)
	}
	if quit {
		b.WriteString("QUIT\r\n")
	}
	go c.C.Write([]byte(b.String())) // the server may close before reading it all
	var codes []string
	for {
		l, err := c.R.ReadString('\n')
		if err != nil {
			return codes
		}
		codes = append(codes, l[:min(len(l), 9)])
	}
}

// Issue 11: one connection got 5,000 × 550 5.1.1 in 0.77 s, and each
// wrote a log line. Now the replies past the soft limit are delayed, the
// RCPT after the hard limit gets 421 4.7.0 and the connection closes, and
// the log has a bounded number of lines.
func TestHarvestingSessionIsCutOff(t *testing.T) {
	ts := harvestServer(t, RcptErrorLimits{Soft: 2, Hard: 8, Sleep: 50 * time.Millisecond, Decay: time.Hour})
	began := time.Now()
	codes := pipelineRcpts(t, ts.addr, 500, false)
	want := append(slices.Repeat([]string{"550 5.1.1"}, 8), "421 4.7.0")
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Fatalf("replies %q, want %q", codes, want)
	}
	// Replies 3 to 8 and the 421 waited.
	if el := time.Since(began); el < 7*50*time.Millisecond {
		t.Fatalf("the refusals past the soft limit were not delayed (%v)", el)
	}
	waitFor(t, func() bool { return strings.Contains(ts.logs.String(), "recipients rejected in the session") })
	logs := ts.logs.String()
	if n := strings.Count(logs, `msg="recipient rejected"`); n != rcptLogLines {
		t.Fatalf("%d recipient lines logged, want %d:\n%s", n, rcptLogLines, logs)
	}
	if !strings.Contains(logs, "rejected=8 not_logged_one_by_one=3") || !strings.Contains(logs, "too many rejected recipients") {
		t.Fatalf("no summary line:\n%s", logs)
	}
}

// Reconnecting does not start afresh: the client's count outlives the
// session, and a client at the limit gets 421 even for a valid address
// (its answer would tell a valid address from an invalid one). The count
// decays, and then the client is served again.
func TestHarvestingCountPerClient(t *testing.T) {
	ts := harvestServer(t, RcptErrorLimits{Soft: 2, Hard: 4, Sleep: 10 * time.Millisecond, Decay: 300 * time.Millisecond})
	if codes := pipelineRcpts(t, ts.addr, 50, false); len(codes) != 5 || codes[4] != "421 4.7.0" {
		t.Fatalf("first session: %q", codes)
	}
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<probe@attacker.test>", "250 ")
	c.cmd("RCPT TO:<valid@mx.test>", "421 4.7.0")
	c.EOF()
	// Coming back while cut off is not worth another info line.
	logs := ts.logs.String()
	if strings.Count(logs, `level=INFO msg="too many rejected recipients"`) != 1 ||
		strings.Count(logs, `level=DEBUG msg="too many rejected recipients"`) != 1 {
		t.Fatalf("cut-off lines:\n%s", logs)
	}
	// The count (5, then 6 with the refused attempt) loses one per 300 ms.
	time.Sleep(2 * time.Second)
	c = greeted(t, ts.addr)
	c.hello()
	c.transaction("probe@attacker.test", "valid@mx.test")
	c.cmd("RCPT TO:<nobody@mx.test>", "550 5.1.1")
}

// 4xx refusals (too many recipients) do not count.
func TestHarvestingCountsPermanentRefusalsOnly(t *testing.T) {
	ts := harvestServer(t, RcptErrorLimits{Soft: 10, Hard: 12, Sleep: time.Millisecond, Decay: time.Hour})
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<a@example.org>", "250 ")
	for range 11 {
		c.cmd("RCPT TO:<nobody@mx.test>", "550 5.1.1")
	}
	for range 5 {
		c.cmd("RCPT TO:<valid@mx.test>", "250 ")
	}
	for range 20 {
		c.cmd("RCPT TO:<valid@mx.test>", "452 4.5.3") // testConfig: 5 recipients
	}
	c.cmd("RSET", "250 ")
	c.cmd("MAIL FROM:<a@example.org>", "250 ")
	c.cmd("RCPT TO:<nobody@mx.test>", "550 5.1.1")
	c.cmd("RCPT TO:<valid@mx.test>", "421 4.7.0")
	c.EOF()
}

// A message accepted resets the session's count (Postfix: errors
// "without delivering mail"). Over a unix socket there is no client, so
// the session's count is the only one.
func TestHarvestingSessionCountResetByDelivery(t *testing.T) {
	cfg := testConfig()
	cfg.RcptErrors = RcptErrorLimits{Soft: 4, Hard: 4, Sleep: time.Millisecond, Decay: time.Hour}
	path := t.TempDir() + "/smtp.sock"
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, cfg, l)
	ts.d.rejectRcpt("nobody@mx.test", smtpreply.NoSuchUser("nobody@mx.test"))
	c := dialRaw(t, "unix", path)
	c.expect("220 ")
	c.hello()
	for range 2 {
		c.cmd("MAIL FROM:<a@example.org>", "250 ")
		for range 3 {
			c.cmd("RCPT TO:<nobody@mx.test>", "550 5.1.1")
		}
		c.cmd("RCPT TO:<b@mx.test>", "250 ")
		c.data("x\r\n.\r\n")
	}
	c.cmd("MAIL FROM:<a@example.org>", "250 ")
	for range 4 {
		c.cmd("RCPT TO:<nobody@mx.test>", "550 5.1.1")
	}
	c.cmd("RCPT TO:<b@mx.test>", "421 4.7.0")
}

// LMTP sits behind an MTA that answers its own clients: no limits there,
// but the log stays bounded.
func TestHarvestingLimitsOff(t *testing.T) {
	ts := harvestServer(t, RcptErrorLimits{Soft: 1, Hard: 2, Sleep: time.Second, Off: true})
	codes := pipelineRcpts(t, ts.addr, 100, true)
	if len(codes) != 101 || codes[99] != "550 5.1.1" || codes[100] != "221 2.0.0" {
		t.Fatalf("%d replies, last %q", len(codes), codes[len(codes)-1])
	}
	waitFor(t, func() bool { return strings.Contains(ts.logs.String(), "rejected=100 ") })
	if n := strings.Count(ts.logs.String(), `msg="recipient rejected"`); n != rcptLogLines {
		t.Fatalf("%d recipient lines logged", n)
	}
}

// The table of clients is bounded, and forgets the clients seen least
// recently first.
func TestClientTableBounded(t *testing.T) {
	tb := newClientTable(time.Hour)
	now := time.Now()
	first := netip.MustParsePrefix("10.0.0.1/32")
	tb.add(first, now, 10)
	for i := range maxClients + 100 {
		a := netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)})
		tb.add(netip.PrefixFrom(a, 32), now, 10)
	}
	if n := tb.len(); n > maxClients {
		t.Fatalf("%d clients remembered", n)
	}
	if tb.level(first, now) != 0 {
		t.Fatal("the oldest client was not forgotten")
	}
	last := netip.PrefixFrom(netip.AddrFrom4([4]byte{11, 1, 0, 99}), 32)
	if tb.level(last, now) != 1 {
		t.Fatal("a recent client was forgotten")
	}
}
