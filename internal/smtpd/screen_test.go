package smtpd

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/dnslist"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/testkit"
)

// screened starts a server screening its clients with sc; reg gathers
// both smtpd's and screen's metrics.
func screened(t *testing.T, sc screen.Config, res screen.Resolver) (*testServer, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	sc.Hostname = testHost
	cfg.Screen = screen.New(sc, res, screen.NewMetrics(reg))
	return startWith(t, cfg, nil, NewMetrics(reg)), reg
}

func checkMetric(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	if got := testkit.Gather(t, reg); got[name] != want {
		t.Errorf("%s = %v, want %v (all: %v)", name, got[name], want, got)
	}
}

// TestEarlyTalkerRefused: a client that sends its EHLO before the
// greeting gets 554 5.5.1 instead of it, and the connection is closed;
// its EHLO is never answered.
func TestEarlyTalkerRefused(t *testing.T) {
	ts, reg := screened(t, screen.Config{PregreetWait: 2 * time.Second}, nil)
	c := dialRaw(t, "tcp", ts.addr)
	c.Send("EHLO bot.test\r\n")
	c.expect("554 5.5.1 mx.test Protocol error")
	c.EOF()
	checkMetric(t, reg, "petrel_smtpd_rejections_total{listener=smtp,reason=early_talker}", 1)
	checkMetric(t, reg, "petrel_screen_decisions_total{check=pregreet,result=reject}", 1)
	if l := ts.logs.String(); !strings.Contains(l, "screen: client refused") || !strings.Contains(l, "before the greeting") {
		t.Errorf("no log line for the refusal:\n%s", l)
	}
}

// TestPoliteClientUnaffected: a client that waits for the greeting gets
// it after the wait and delivers as usual, pipelining included (RFC 2920
// allows MAIL, RCPT and DATA in one group after the EHLO reply); its
// next connection is greeted without a wait.
func TestPoliteClientUnaffected(t *testing.T) {
	ts, reg := screened(t, screen.Config{PregreetWait: 300 * time.Millisecond}, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.Send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n")
	c.expect("250 2.1.0")
	c.expect("250 2.1.5")
	c.expect("354 ")
	c.Send("Subject: hi\r\n\r\nhello\r\n.\r\n")
	c.expect("250 ")
	c.cmd("QUIT", "221 ")
	if n := len(ts.d.messages()); n != 1 {
		t.Fatalf("%d messages delivered, want 1", n)
	}
	c = greeted(t, ts.addr)
	c.hello()
	checkMetric(t, reg, "petrel_screen_decisions_total{check=pregreet,result=pass}", 1) // tested once, then cached
	checkMetric(t, reg, "petrel_smtpd_rejections_total{listener=smtp,reason=early_talker}", 0)
}

// TestPipelinedBehindEHLO: commands sent behind EHLO before its reply
// (RFC 2920 §3.1: EHLO ends a group) are early talk: 554 5.5.1 instead
// of the EHLO reply, and the connection is closed.
func TestPipelinedBehindEHLO(t *testing.T) {
	ts, reg := screened(t, screen.Config{PregreetWait: 100 * time.Millisecond}, nil)
	c := greeted(t, ts.addr)
	c.Send("EHLO bot.test\r\nMAIL FROM:<a@example.org>\r\n")
	c.expect("554 5.5.1")
	c.EOF()
	checkMetric(t, reg, "petrel_smtpd_rejections_total{listener=smtp,reason=early_talker}", 1)
	if len(ts.d.checked) != 0 || len(ts.d.messages()) != 0 {
		t.Error("the early talker's commands were run")
	}
}

// TestNoScreenNoWait: without Config.Screen a client talking first is
// served (the checks are the MX's alone).
func TestNoScreenNoWait(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := dialRaw(t, "tcp", ts.addr)
	c.Send("EHLO early.test\r\n")
	c.expect("220 ")
	c.expect("250 ")
}

// dialFrom connects from a local loopback address of its own (the whole
// of 127.0.0.0/8 is loopback on Linux).
func dialFrom(t *testing.T, from, addr string) *rawClient {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return rawOn(t, c)
}

// TestDNSBLAtRcpt: a client whose blocklist weights reach the threshold
// gets 554 5.7.1 for every RCPT (the recipient is not even looked up)
// and may go on talking; a client on no list gets its recipients and the
// verdict on its envelope.
func TestDNSBLAtRcpt(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, "2.0.0.127.bl.test. A 127.0.0.2", "2.0.0.127.bl2.test. A 127.0.0.2")
	res := dnsr.NewFromConfig(dnsr.Config{Servers: []string{srv.Addr}, Timeout: 5 * time.Second, Cache: true})
	var bl []dnslist.List
	for _, s := range []string{"bl.test", "bl2.test*2"} {
		l, _ := dnslist.Parse(s, true)
		bl = append(bl, l)
	}
	ts, reg := screened(t, screen.Config{Blocklists: bl, Threshold: 3, LookupTimeout: 2 * time.Second}, res)
	c := dialFrom(t, "127.0.0.2", ts.addr)
	c.expect("220 ")
	c.hello()
	c.cmd("MAIL FROM:<spam@example.net>", "250 ")
	lines := c.cmd("RCPT TO:<b@mx.test>", "554 5.7.1")
	if !strings.Contains(lines[0], "[127.0.0.2]") || !strings.Contains(lines[0], "bl.test, bl2.test") {
		t.Errorf("refusal %q does not name the client and the lists", lines)
	}
	c.cmd("RCPT TO:<postmaster@mx.test>", "554 5.7.1")
	c.cmd("QUIT", "221 ")
	if len(ts.d.checked) != 0 {
		t.Errorf("recipients looked up for a blocklisted client: %v", ts.d.checked)
	}
	checkMetric(t, reg, "petrel_smtpd_rejections_total{listener=smtp,reason=dnsbl}", 2)

	c = dialFrom(t, "127.0.0.3", ts.addr)
	c.expect("220 ")
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.data("x\r\n.\r\n")
	msgs := ts.d.messages()
	if len(msgs) != 1 || msgs[0].env.Screening == nil || msgs[0].env.Screening.Score != 0 || msgs[0].env.Screening.Threshold != 3 {
		t.Fatalf("the clean client's envelope: %+v", msgs)
	}
}

// TestRateLimitsSession: past the message rate MAIL gets 451 4.7.1, past
// the recipient rate RCPT too, and the session goes on; past the
// connection rate a connection gets 421 4.7.0 and is closed.
func TestRateLimitsSession(t *testing.T) {
	ts, reg := screened(t, screen.Config{ConnectionRate: 2, MessageRate: 1, RecipientRate: 2}, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test", "c@mx.test")
	c.cmd("RCPT TO:<d@mx.test>", "451 4.7.1")
	c.data("x\r\n.\r\n")
	c.cmd("MAIL FROM:<a@example.org>", "451 4.7.1")
	c.cmd("NOOP", "250 ")
	greeted(t, ts.addr).cmd("QUIT", "221 ")
	third := dialRaw(t, "tcp", ts.addr)
	third.expect("421 4.7.0")
	third.EOF()
	checkMetric(t, reg, "petrel_smtpd_rejections_total{listener=smtp,reason=rate_limit}", 3)
	if msgs := ts.d.messages(); len(msgs) != 1 || len(msgs[0].env.Recipients) != 2 {
		t.Fatalf("delivered %+v, want one message to two recipients", msgs)
	}
}

// BenchmarkSessionScreened is BenchmarkSession with the screening of
// the MX on: two DNS lists (answered from the cache after the first
// connection) and the three rates, with limits not reached.
//
//	go test -run - -bench 'Session$|SessionScreened' ./internal/smtpd/
func BenchmarkSessionScreened(b *testing.B) {
	srv := dnstest.Start(b)
	srv.Add(b, "bl.test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 3600",
		"bl2.test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 3600")
	res := dnsr.NewFromConfig(dnsr.Config{Servers: []string{srv.Addr}, Timeout: 5 * time.Second, Cache: true})
	var bl []dnslist.List
	for _, s := range []string{"bl.test*2", "bl2.test"} {
		l, _ := dnslist.Parse(s, true)
		bl = append(bl, l)
	}
	cfg := testConfig()
	cfg.Screen = screen.New(screen.Config{Hostname: testHost, Blocklists: bl, Threshold: 2,
		ConnectionRate: 1 << 30, MessageRate: 1 << 30, RecipientRate: 1 << 30}, res, nil)
	benchSession(b, cfg)
}

// TestPipeliningWithoutPregreet: without pregreet_wait, commands behind
// EHLO are answered as usual (the test is the pregreet test's).
func TestPipeliningWithoutPregreet(t *testing.T) {
	ts, _ := screened(t, screen.Config{MessageRate: 100}, nil)
	c := greeted(t, ts.addr)
	c.Send("EHLO client.test\r\nNOOP\r\n")
	c.expect("250 ")
	c.expect("250 ")
}

// TestDNSListTimeoutSession: a blocklist that never answers holds the
// first RCPT at most until dns_timeout after the connection; the client
// then gets its recipient, and the list is reported unanswered.
func TestDNSListTimeoutSession(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Silent("1.0.0.127.silent.test")
	res := dnsr.NewFromConfig(dnsr.Config{Servers: []string{srv.Addr}, Timeout: 30 * time.Second})
	l, _ := dnslist.Parse("silent.test", true)
	const limit = 500 * time.Millisecond
	ts, reg := screened(t, screen.Config{Blocklists: []dnslist.List{l}, LookupTimeout: limit}, res)
	start := time.Now()
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	if d := time.Since(start); d > limit+5*time.Second {
		t.Fatalf("the first RCPT was answered %v after the connection (dns_timeout %v)", d, limit)
	}
	c.data("x\r\n.\r\n")
	msgs := ts.d.messages()
	if len(msgs) != 1 || msgs[0].env.Screening == nil || len(msgs[0].env.Screening.Unanswered) != 1 {
		t.Fatalf("delivered %+v, want one message with silent.test unanswered", msgs)
	}
	checkMetric(t, reg, "petrel_screen_dnsl_lookups_total{outcome=unanswered,zone=silent.test}", 1)
}
