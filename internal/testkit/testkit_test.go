package testkit

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
)

// fakeTB records a Fatalf instead of ending the test, so that the
// helpers' failures can be checked.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f)
}

// failed runs fn with a fakeTB and reports whether a helper gave up.
func failed(t *testing.T, fn func(tb *fakeTB)) bool {
	tb := &fakeTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != any(tb) {
				panic(r)
			}
		}()
		fn(tb)
	}()
	return tb.failed != ""
}

// serve accepts one connection on a loopback listener and writes out to it,
// then closes it.
func serve(t *testing.T, out string) string {
	l := Listen(t)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Write([]byte(out))
		c.Close()
	}()
	return l.Addr().String()
}

func TestConnLines(t *testing.T) {
	c := Dial(t, serve(t, "+OK hello\r\n250 fine\r\n"))
	if got := c.Expect("+OK "); got != "+OK hello" {
		t.Errorf("Expect = %q", got)
	}
	if got := c.Line(); got != "250 fine" {
		t.Errorf("Line = %q", got)
	}
	c.EOF()
	if !failed(t, func(tb *fakeTB) { c := Dial(t, serve(t, "bare\n")); c.T = tb; c.Line() }) {
		t.Error("a line ending in a bare LF was accepted")
	}
	if !failed(t, func(tb *fakeTB) { c := Dial(t, serve(t, "-ERR no\r\n")); c.T = tb; c.Expect("+OK") }) {
		t.Error("Expect accepted a line with another prefix")
	}
	if !failed(t, func(tb *fakeTB) { c := Dial(t, serve(t, "more\r\n")); c.T = tb; c.EOF() }) {
		t.Error("EOF accepted data before the close")
	}
}

// TestAsk: the command reaches the server with its CRLF, and the reply
// must start with the prefix.
func TestAsk(t *testing.T) {
	l := Listen(t)
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		got <- line
		c.Write([]byte("250 ok\r\n"))
	}()
	c := Dial(t, l.Addr().String())
	if r := c.Ask("NOOP", "250"); r != "250 ok" {
		t.Errorf("Ask = %q", r)
	}
	if line := <-got; line != "NOOP\r\n" {
		t.Errorf("the server read %q", line)
	}
	if !failed(t, func(tb *fakeTB) { c := imapServer(t, "-ERR no\r\n"); c.T = tb; c.Ask("QUIT", "+OK") }) {
		t.Error("Ask accepted a reply with another prefix")
	}
}

// TestConnTimeout: a silent server fails the read after Timeout.
func TestConnTimeout(t *testing.T) {
	l := Listen(t)
	go func() {
		c, err := l.Accept()
		if err == nil {
			time.Sleep(3 * time.Second)
			c.Close()
		}
	}()
	c := Dial(t, l.Addr().String())
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	if !failed(t, func(tb *fakeTB) { c.T = tb; c.Line() }) {
		t.Error("a silent server did not fail the read")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the read gave up after %v, want about 100ms", d)
	}
}

func TestAddUserTwiceInOneDomain(t *testing.T) {
	st := NewStore(t)
	auth := Accounts(st, accounts.Options{})
	a := AddUser(t, auth, "alice@example.org", "pw")
	b := AddUser(t, auth, "bob@example.org", "pw")
	if a.ID == b.ID {
		t.Fatal("two users, one account")
	}
	if _, err := auth.Authenticate(context.Background(), "bob@example.org", "pw"); err != nil {
		t.Fatalf("bob cannot log in: %v", err)
	}
}

func TestRef(t *testing.T) {
	if got := Ref(t, "452 4.3.1 Insufficient system storage (ref 01ABC)"); got != "01ABC" {
		t.Errorf("Ref = %q", got)
	}
	if !failed(t, func(tb *fakeTB) { Ref(tb, "451 4.3.0 error") }) {
		t.Error("Ref found a reference in a text without one")
	}
}

func TestClock(t *testing.T) {
	c := NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.Add(90 * time.Minute)
	if got := c.Now().Format("15:04"); got != "01:30" {
		t.Errorf("Now = %s after 90 minutes", got)
	}
}

func TestFreeAddr(t *testing.T) {
	addr := FreeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("FreeAddr gave %s, which cannot be bound: %v", addr, err)
	}
	l.Close()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("FreeAddr = %s, want a loopback address", addr)
	}
}

// TestTLS: the client configuration trusts the server's certificate (a
// handshake completes), and TrustCert gives up on a file without one.
func TestTLS(t *testing.T) {
	server, client := TLS(t, "localhost", "")
	l := Listen(t)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		tc := tls.Server(c, server)
		tc.Handshake()
		tc.Close()
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), client)
	if err != nil {
		t.Fatalf("handshake with the server's own certificate: %v", err)
	}
	c.Close()
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if !failed(t, func(tb *fakeTB) { TrustCert(tb, empty, "localhost") }) {
		t.Error("TrustCert accepted a file without a certificate")
	}
}

// imapServer greets, then answers each command line it reads with the
// next of replies, and closes the connection after the last.
func imapServer(t *testing.T, replies ...string) *IMAP {
	l := Listen(t)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("* OK ready\r\n"))
		br := bufio.NewReader(c)
		for _, r := range replies {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			c.Write([]byte(r))
		}
	}()
	c := &IMAP{Conn: Dial(t, l.Addr().String())}
	c.Expect("* OK")
	return c
}

// TestIMAP: a literal is read into the response that announced it, the
// tagged line ends a command, and OK gives up on a tagged NO.
func TestIMAP(t *testing.T) {
	c := imapServer(t, "* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\n* 2 EXISTS\r\na OK done\r\n")
	u, tagged := c.Cmd("a FETCH 1 BODY[]")
	if want := []string{"* 1 FETCH (BODY[] {5}\r\nab\r\nc)", "* 2 EXISTS"}; !slices.Equal(u, want) || tagged != "a OK done" {
		t.Errorf("Cmd = %q, %q; want %q, \"a OK done\"", u, tagged, want)
	}
	if !failed(t, func(tb *fakeTB) {
		c := imapServer(t, "b NO [NONEXISTENT] no\r\n")
		c.T = tb
		c.OK("b SELECT x")
	}) {
		t.Error("OK accepted a tagged NO")
	}
}
