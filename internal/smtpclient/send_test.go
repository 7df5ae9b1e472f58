package smtpclient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// env is one test's DNS server and client settings.
type env struct {
	t   *testing.T
	dns *dnstest.Server
	cfg Config
	// dnssec: the client believes the DNS server's AD bit (dns.dnssec).
	dnssec bool
}

func newEnv(t *testing.T, port int) *env {
	return &env{t: t, dns: dnstest.Start(t), cfg: Config{
		Hostname: "out.petrel.test", RemotePort: port,
		ConnectTimeout: time.Second, CommandTimeout: 2 * time.Second, DataTimeout: 2 * time.Second,
	}}
}

func (e *env) client() *Client {
	r := dnsr.NewFromConfig(dnsr.Config{Servers: []string{e.dns.Addr}, Timeout: 500 * time.Millisecond, DNSSEC: e.dnssec})
	return New(e.cfg, r, slog.New(slog.NewTextHandler(testWriter{e.t}, nil)))
}

func (e *env) send(domain string, m *Message) []Result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return e.client().Send(ctx, domain, m)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func msg(body string, rcpts ...string) *Message {
	m := &Message{From: "alice@petrel.test", Size: int64(len(body)),
		Body: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }}
	for _, r := range rcpts {
		m.Rcpts = append(m.Rcpts, Rcpt{Addr: r})
	}
	return m
}

// want checks the code and enhanced status of each result.
func want(t *testing.T, res []Result, codes ...string) {
	t.Helper()
	if len(res) != len(codes) {
		t.Fatalf("%d results, want %d: %+v", len(res), len(codes), res)
	}
	for i, r := range res {
		got := r.Reply.Error()
		if !strings.HasPrefix(got, codes[i]) {
			t.Errorf("result %d (%s) = %q, want %q", i, r.Rcpt, got, codes[i])
		}
		if r.Permanent != (codes[i][0] == '5') {
			t.Errorf("result %d: Permanent = %v", i, r.Permanent)
		}
	}
}

func TestDeliverViaMX(t *testing.T) {
	srv := startFake(t, &fakeServer{ext: []string{"PIPELINING", "8BITMIME", "SIZE 1000"}})
	e := newEnv(t, srv.port())
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
	res := e.send("remote.test", msg("Subject: hi\r\n\r\n.leading dot\nbare LF\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	if res[0].RemoteMTA != "mx.remote.test" || res[0].RemoteIP.String() != "127.0.0.1" || res[0].TLS != "" {
		t.Fatalf("result = %+v", res[0])
	}
	tr := srv.transcripts()[0]
	if tr.lines[0] != "EHLO out.petrel.test" || tr.lines[1] != "MAIL FROM:<alice@petrel.test> SIZE=37" {
		t.Fatalf("lines = %q", tr.lines)
	}
	if tr.body != "Subject: hi\r\n\r\n..leading dot\r\nbare LF\r\n" {
		t.Fatalf("body = %q", tr.body)
	}
	if tr.lines[len(tr.lines)-1] != "QUIT" {
		t.Fatalf("no QUIT: %q", tr.lines)
	}
}

func TestMXOrderAndFallback(t *testing.T) {
	srv := startFake(t, &fakeServer{})
	e := newEnv(t, srv.port())
	// The preferred MX has two addresses where nothing listens; the
	// second MX answers.
	e.dns.Add(t,
		"remote.test. MX 20 backup.remote.test.",
		"remote.test. MX 10 primary.remote.test.",
		"primary.remote.test. A 127.0.0.2",
		"primary.remote.test. A 127.0.0.3",
		"backup.remote.test. A 127.0.0.1",
	)
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250")
	if res[0].RemoteMTA != "backup.remote.test" {
		t.Fatalf("RemoteMTA = %q", res[0].RemoteMTA)
	}
}

func TestAllMXDown(t *testing.T) {
	e := newEnv(t, 1) // nothing listens on port 1
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "451 4.4.1")
	if res[0].RemoteMTA != "" || res[0].RemoteIP.IsValid() {
		t.Fatalf("result = %+v", res[0])
	}
}

func TestImplicitMX(t *testing.T) {
	srv := startFake(t, &fakeServer{})
	e := newEnv(t, srv.port())
	e.dns.Add(t, "remote.test. A 127.0.0.1", "remote.test. TXT \"no MX here\"")
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250")
	if res[0].RemoteMTA != "remote.test" {
		t.Fatalf("RemoteMTA = %q", res[0].RemoteMTA)
	}
}

func TestNullMX(t *testing.T) {
	e := newEnv(t, 1)
	e.dns.Add(t, "remote.test. MX 0 .", "remote.test. A 127.0.0.1")
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test", "b@remote.test")), "556 5.1.10", "556 5.1.10")
}

func TestDNSFailures(t *testing.T) {
	e := newEnv(t, 1)
	e.dns.ServFail("broken.test")
	e.dns.Add(t, "hostless.test. MX 10 gone.hostless.test.")
	e.dns.ServFail("gone2.flaky.test")
	e.dns.Add(t, "flaky.test. MX 10 gone2.flaky.test.")
	want(t, e.send("broken.test", msg("x\r\n", "a@broken.test")), "451 4.4.3")
	want(t, e.send("nowhere.test", msg("x\r\n", "a@nowhere.test")), "550 5.1.2")
	want(t, e.send("hostless.test", msg("x\r\n", "a@hostless.test")), "550 5.1.2")
	want(t, e.send("flaky.test", msg("x\r\n", "a@flaky.test")), "451 4.4.3")
}

// A domain listing hundreds of MX hosts costs at most maxHosts address
// lookups and maxAddresses sessions per message, the hosts without an
// address included, however many it lists.
func TestManyMXHostsBounded(t *testing.T) {
	srv := startFake(t, &fakeServer{greeting: "421 4.3.2 busy"})
	e := newEnv(t, srv.port())
	var lines []string
	for i := range 4 {
		lines = append(lines, fmt.Sprintf("remote.test. MX 10 a%d.remote.test.", i), fmt.Sprintf("a%d.remote.test. A 127.0.0.1", i))
	}
	for i := range 200 {
		lines = append(lines, fmt.Sprintf("remote.test. MX 20 b%d.remote.test.", i)) // no address records
	}
	e.dns.Add(t, lines...)
	e.dns.TruncateUDP() // the MX answer is too large for UDP
	before := e.dns.Queries()
	res := e.send("remote.test", msg("x\r\n", "a@remote.test"))
	if res[0].Reply.Code != 421 {
		t.Errorf("reply %v, want the hosts' 421", res[0].Reply)
	}
	if n := len(srv.transcripts()); n != 4 {
		t.Errorf("%d sessions, want 4 (the hosts with an address)", n)
	}
	// The MX query (UDP, then TCP), then A and AAAA for each host looked
	// up: about 2 * maxHosts, not 2 * 204.
	if n := e.dns.Queries() - before; n > 2+2*maxHosts+4 {
		t.Errorf("%d DNS queries for one message, want at most %d", n, 2+2*maxHosts+4)
	}
}

// A 2xx reply to DATA (instead of 354) delivers nothing: the recipients
// get a temporary failure, never a success, and no body is sent.
func TestDataAnswered2xx(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{data: "250 2.0.0 sure"})
	res := e.send("remote.test", msg("x\r\n", "a@remote.test"))
	if r := res[0].Reply; r.Code != 451 || r.Enhanced != (smtpreply.Enhanced{4, 5, 0}) {
		t.Fatalf("reply %v, want 451 4.5.0 (a DATA answered 250 is no delivery)", r)
	}
	for _, tr := range srv.transcripts() {
		if tr.body != "" {
			t.Errorf("a body was sent: %q", tr.body)
		}
	}
}
