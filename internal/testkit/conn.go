package testkit

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Conn is a client of a line protocol on a raw connection: it sends
// bytes as given and reads CRLF-terminated lines, failing the test on an
// error, a bare LF or a silence longer than Timeout.
type Conn struct {
	T testing.TB
	C net.Conn
	R *bufio.Reader
	// Timeout bounds each read and write; 0 leaves the connection's
	// deadlines alone (the caller sets them).
	Timeout time.Duration
}

// Dial connects to addr (TCP), closing the connection when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return Wrap(t, c)
}

// Wrap makes a Conn of c (a TLS connection, say), closed when the test
// ends, with a Timeout of 10 s.
func Wrap(t testing.TB, c net.Conn) *Conn {
	t.Cleanup(func() { c.Close() })
	return &Conn{T: t, C: c, R: bufio.NewReader(c), Timeout: 10 * time.Second}
}

func (c *Conn) deadline(set func(time.Time) error) {
	if c.Timeout > 0 {
		set(time.Now().Add(c.Timeout))
	}
}

// Send writes s as it is.
func (c *Conn) Send(s string) {
	c.T.Helper()
	c.deadline(c.C.SetWriteDeadline)
	if _, err := io.WriteString(c.C, s); err != nil {
		c.T.Fatalf("send %q: %v", s, err)
	}
}

// Line reads one line and returns it without its CRLF.
func (c *Conn) Line() string {
	c.T.Helper()
	c.deadline(c.C.SetReadDeadline)
	l, err := c.R.ReadString('\n')
	if err != nil {
		c.T.Fatalf("read: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		c.T.Fatalf("line %q does not end in CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// Expect reads a line and checks that it starts with prefix.
func (c *Conn) Expect(prefix string) string {
	c.T.Helper()
	l := c.Line()
	if !strings.HasPrefix(l, prefix) {
		c.T.Fatalf("got %q, want a line starting with %q", l, prefix)
	}
	return l
}

// Ask sends a command line (CRLF added) and reads a reply line that must
// start with prefix.
func (c *Conn) Ask(line, prefix string) string {
	c.T.Helper()
	c.Send(line + "\r\n")
	return c.Expect(prefix)
}

// Closed checks that the server closed the connection: the next read
// fails (whatever came before the close is not looked at).
func (c *Conn) Closed() {
	c.T.Helper()
	c.deadline(c.C.SetReadDeadline)
	if l, err := c.R.ReadString('\n'); err == nil {
		c.T.Fatalf("connection still open: read %q", l)
	}
}

// EOF reads until the server closes the connection, which must send
// nothing more before that.
func (c *Conn) EOF() {
	c.T.Helper()
	c.deadline(c.C.SetReadDeadline)
	rest, err := io.ReadAll(c.R)
	if err != nil {
		c.T.Fatalf("expected EOF: %v", err)
	}
	if len(rest) > 0 {
		c.T.Fatalf("unexpected data before EOF: %q", rest)
	}
}
