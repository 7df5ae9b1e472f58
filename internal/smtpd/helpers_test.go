package smtpd

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/testkit"
)

const testHost = "mx.test"

// message is what the fake delivery received.
type message struct {
	env  envelope.Envelope
	body []byte
	size int64
	// fromFile: the body came from a spool file.
	fromFile bool
}

// fakeDelivery records transactions; rcpt and deliver map an address to
// the reply CheckRecipient or Deliver gives it (nil: accept).
type fakeDelivery struct {
	mu      sync.Mutex
	rcpt    map[string]*smtpreply.Reply
	deliver map[string]*smtpreply.Reply
	msgs    []message
	checked []envelope.Recipient
	// discard: Deliver reads the body and keeps nothing (benchmarks).
	discard bool
	// others answers the addresses not in rcpt (nil: accept them).
	others func(addr string) *smtpreply.Reply
}

func newFake() *fakeDelivery {
	return &fakeDelivery{rcpt: map[string]*smtpreply.Reply{}, deliver: map[string]*smtpreply.Reply{}}
}

// rejectRcpt makes CheckRecipient refuse addr with r.
func (f *fakeDelivery) rejectRcpt(addr string, r *smtpreply.Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rcpt[addr] = r
}

// failDelivery makes Deliver fail for addr with r.
func (f *fakeDelivery) failDelivery(addr string, r *smtpreply.Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliver[addr] = r
}

func (f *fakeDelivery) CheckRecipient(_ context.Context, _ *envelope.Envelope, r envelope.Recipient) *smtpreply.Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked = append(f.checked, r)
	if rep, ok := f.rcpt[r.Addr.String()]; ok || f.others == nil {
		return rep
	}
	return f.others(r.Addr.String())
}

func (f *fakeDelivery) Deliver(_ context.Context, env *envelope.Envelope, body io.Reader, size int64) []*smtpreply.Reply {
	b, err := io.ReadAll(body)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.discard {
		return make([]*smtpreply.Reply, len(env.Recipients))
	}
	_, fromFile := body.(*io.SectionReader)
	f.msgs = append(f.msgs, message{env: *env, body: b, size: size, fromFile: fromFile})
	rs := make([]*smtpreply.Reply, len(env.Recipients))
	for i, r := range env.Recipients {
		rs[i] = f.deliver[r.Addr.String()]
	}
	return rs
}

func (f *fakeDelivery) messages() []message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]message(nil), f.msgs...)
}

// testServer is a running server on a loopback listener.
type testServer struct {
	srv  *Server
	addr string
	d    *fakeDelivery
	logs *testkit.LogBuffer
}

func testConfig() Config {
	return Config{
		Hostname: testHost, MaxMessageSize: 10000, MaxRecipients: 5,
		MaxConnectionsPerIP: 10, MaxConnections: 50, MaxBadCommands: 10,
		CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second,
	}
}

// start runs a server with cfg on 127.0.0.1:0 (or on l when given).
func start(t testing.TB, cfg Config, l net.Listener) *testServer {
	t.Helper()
	return startWith(t, cfg, l, nil)
}

// startWith is start with metrics.
func startWith(t testing.TB, cfg Config, l net.Listener, m *Metrics) *testServer {
	t.Helper()
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = t.TempDir()
	}
	if l == nil {
		l = testkit.Listen(t)
	}
	ts := &testServer{d: newFake(), logs: &testkit.LogBuffer{}, addr: l.Addr().String()}
	ts.srv = New(cfg, ts.d, testkit.Logger(ts.logs), m)
	done := make(chan error, 1)
	go func() { done <- ts.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// rawClient speaks SMTP byte by byte. Its connection has one deadline,
// 20 s after it was opened.
type rawClient struct{ *testkit.Conn }

// rawOn makes a raw client of c.
func rawOn(t testing.TB, c net.Conn) *rawClient {
	cl := testkit.Wrap(t, c)
	cl.Timeout = 0
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawClient{cl}
}

func dialRaw(t testing.TB, network, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return rawOn(t, c)
}

// greeted dials and reads the greeting.
func greeted(t testing.TB, addr string) *rawClient {
	t.Helper()
	c := dialRaw(t, "tcp", addr)
	c.expect("220 ")
	return c
}

// reply reads one (possibly multi-line) reply and returns its lines
// without CRLF.
func (c *rawClient) reply() []string {
	c.T.Helper()
	var lines []string
	for {
		l := c.Line()
		if len(l) < 4 {
			c.T.Fatalf("malformed reply line %q (after %q)", l, lines)
		}
		lines = append(lines, l)
		if l[3] == ' ' {
			return lines
		}
	}
}

// expect reads a reply whose last line starts with prefix.
func (c *rawClient) expect(prefix string) []string {
	c.T.Helper()
	lines := c.reply()
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, prefix) {
		c.T.Fatalf("got %q, want %q...", lines, prefix)
	}
	return lines
}

// cmd sends a command line and expects a reply starting with prefix.
func (c *rawClient) cmd(line, prefix string) []string {
	c.T.Helper()
	c.Send(line + "\r\n")
	return c.expect(prefix)
}

// hello sends EHLO and returns the reply.
func (c *rawClient) hello() []string { return c.cmd("EHLO client.test", "250 ") }

// transaction sends MAIL and RCPTs, all accepted.
func (c *rawClient) transaction(from string, to ...string) {
	c.T.Helper()
	c.cmd("MAIL FROM:<"+from+">", "250 2.1.0")
	for _, r := range to {
		c.cmd("RCPT TO:<"+r+">", "250 2.1.5")
	}
}

// data sends DATA and the raw octets (which must include the terminator)
// and returns the final reply.
func (c *rawClient) data(raw string) []string {
	c.T.Helper()
	c.cmd("DATA", "354 ")
	c.Send(raw)
	return c.reply()
}

func itoa(n int) string { return strconv.Itoa(n) }
