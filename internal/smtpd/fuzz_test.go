package smtpd

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// memConn is an in-memory connection for the fuzz target: reads come from
// the input and end with EOF, writes are collected.
type memConn struct {
	in  io.Reader
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *memConn) Read(p []byte) (int, error) { return c.in.Read(p) }
func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4242} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

var _ net.Conn = (*memConn)(nil)

func fuzzSeeds() []string {
	return []string{
		"EHLO x\r\nMAIL FROM:<a@b.example> SIZE=10\r\nRCPT TO:<c@mx.test>\r\nDATA\r\nhi\r\n..x\r\n.\r\nQUIT\r\n",
		"HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster>\r\nBDAT 3\r\nabcBDAT 0 LAST\r\nRSET\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@mx.test>\r\nDATA\r\na\n.\nb\r.\r\r\n.\r\n",
		"EHLO x\r\nSTARTTLS\r\nMAIL FROM:<a@b>\r\n",
		"NOOP " + string(bytes.Repeat([]byte("a"), 3000)) + "\r\nNOOP\r\n",
		"EHLO x\r\nMAIL FROM:<jos\xc3\xa9@b.example> SMTPUTF8 ENVID=a+2B\r\nRCPT TO:<c@mx.test> NOTIFY=NEVER ORCPT=rfc822;x\r\nBDAT 99999999\r\n",
		"X\r\nY\r\nZ\r\n\r\n\n\n\r\rVRFY\r\nEXPN\r\nHELP\r\nBDAT\r\nDATA x\r\n",
	}
}

func FuzzSession(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	serverTLS, _ := testkit.TLS(f, testHost, "")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := testConfig()
		cfg.MaxMessageSize = 1000
		cfg.TLS = serverTLS.Clone()
		srv := New(cfg, newFake(), log, nil)
		conn := &memConn{in: bytes.NewReader(in)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			newSession(srv, conn, netip.MustParseAddr("192.0.2.1")).run()
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session did not end for input %q", in)
		}
		checkReplies(t, conn.out.Bytes())
	})
}

// checkReplies asserts that out is a sequence of well-formed reply lines.
func checkReplies(t *testing.T, out []byte) {
	t.Helper()
	if len(out) == 0 || !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatalf("output does not end with CRLF: %q", out)
	}
	for _, l := range bytes.Split(out[:len(out)-2], []byte("\r\n")) {
		if !validReplyLine(l) {
			t.Fatalf("malformed reply line %q", l)
		}
	}
}

// The same check, as a plain test over the seeds, with a TLS-less server.
func TestSessionSeeds(t *testing.T) {
	for _, s := range fuzzSeeds() {
		srv := New(testConfig(), newFake(), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		conn := &memConn{in: bytes.NewReader([]byte(s))}
		newSession(srv, conn, netip.MustParseAddr("192.0.2.1")).run()
		checkReplies(t, conn.out.Bytes())
	}
}

// validReplyLine: three digits (first 2-5), space or hyphen, text without
// CR or LF (RFC 5321 §4.2).
func validReplyLine(l []byte) bool {
	if len(l) < 4 || l[0] < '2' || l[0] > '5' || (l[3] != ' ' && l[3] != '-') {
		return false
	}
	for _, c := range l[1:3] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return !bytes.ContainsAny(l, "\r\n")
}
