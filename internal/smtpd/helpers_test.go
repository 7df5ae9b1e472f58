package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
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

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testServer is a running server on a loopback listener.
type testServer struct {
	srv  *Server
	addr string
	d    *fakeDelivery
	logs *syncBuffer
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
		var err error
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ts := &testServer{d: newFake(), logs: &syncBuffer{}, addr: l.Addr().String()}
	log := slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts.srv = New(cfg, ts.d, log, m)
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

// rawClient speaks SMTP byte by byte.
type rawClient struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t testing.TB, network, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawClient{t: t, c: c, r: bufio.NewReader(c)}
}

// greeted dials and reads the greeting.
func greeted(t testing.TB, addr string) *rawClient {
	t.Helper()
	c := dialRaw(t, "tcp", addr)
	c.expect("220 ")
	return c
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// reply reads one (possibly multi-line) reply and returns its lines
// without CRLF.
func (c *rawClient) reply() []string {
	c.t.Helper()
	var lines []string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read reply (after %q): %v", lines, err)
		}
		if !strings.HasSuffix(l, "\r\n") || len(l) < 5 {
			c.t.Fatalf("malformed reply line %q", l)
		}
		l = strings.TrimSuffix(l, "\r\n")
		lines = append(lines, l)
		if l[3] == ' ' {
			return lines
		}
	}
}

// expect reads a reply whose last line starts with prefix.
func (c *rawClient) expect(prefix string) []string {
	c.t.Helper()
	lines := c.reply()
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, prefix) {
		c.t.Fatalf("got %q, want %q...", lines, prefix)
	}
	return lines
}

// cmd sends a command line and expects a reply starting with prefix.
func (c *rawClient) cmd(line, prefix string) []string {
	c.t.Helper()
	c.send(line + "\r\n")
	return c.expect(prefix)
}

// expectClosed reads until EOF; nothing more may come.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	rest, err := io.ReadAll(c.r)
	if err != nil {
		c.t.Fatalf("expected EOF: %v", err)
	}
	if len(rest) > 0 {
		c.t.Fatalf("unexpected data before EOF: %q", rest)
	}
}

// hello sends EHLO and returns the reply.
func (c *rawClient) hello() []string { return c.cmd("EHLO client.test", "250 ") }

// transaction sends MAIL and RCPTs, all accepted.
func (c *rawClient) transaction(from string, to ...string) {
	c.t.Helper()
	c.cmd("MAIL FROM:<"+from+">", "250 2.1.0")
	for _, r := range to {
		c.cmd("RCPT TO:<"+r+">", "250 2.1.5")
	}
}

// data sends DATA and the raw octets (which must include the terminator)
// and returns the final reply.
func (c *rawClient) data(raw string) []string {
	c.t.Helper()
	c.cmd("DATA", "354 ")
	c.send(raw)
	return c.reply()
}

func itoa(n int) string { return strconv.Itoa(n) }
