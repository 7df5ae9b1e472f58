package pop3d

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

const (
	testUser = "alice@example.org"
	testPass = "correct horse"
)

// env is a store with one account, and a POP3 server on loopback.
type env struct {
	t       *testing.T
	dir     string
	st      *sqlite.Store
	auth    *accounts.Service
	acct    store.Account
	cfg     Config
	deps    Deps
	srv     *Server
	addr    string // plain listener
	tlsAddr string // implicit TLS listener
	client  *tls.Config
	logs    *logBuf
}

// newEnv starts a server; mod adjusts its configuration.
func newEnv(t *testing.T, mod func(*Config, *Deps)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), logs: &logBuf{}}
	e.openStore()
	ctx := context.Background()
	if err := e.auth.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.acct, err = e.auth.AddUser(ctx, testUser, testPass); err != nil {
		t.Fatal(err)
	}
	res, err := certs.Load(certs.Options{Hostname: "localhost", DataDir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(res.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	e.client = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	e.cfg = Config{Hostname: "pop.example.org", TLS: res.Config, AllowInsecureAuth: true, SeenFlushDelay: 20 * time.Millisecond}
	e.deps = Deps{Store: e.st, Auth: e.auth,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&e.cfg, &e.deps)
	}
	e.start()
	t.Cleanup(func() { e.stop(); e.st.Close() })
	return e
}

// logBuf collects the server's log.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// openStore opens the store and the accounts service on it.
func (e *env) openStore() {
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: e.dir})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.auth = accounts.New(e.st, accounts.Options{HashConcurrency: 2,
		Argon: &accounts.ArgonParams{Time: 1, Memory: 64, Threads: 1}})
}

// start runs a server with a plain and an implicit-TLS listener.
func (e *env) start() {
	e.deps.Store, e.deps.Auth = e.st, e.auth
	e.srv = New(e.cfg, e.deps)
	e.listen()
}

// listen serves e.srv on new plain and implicit-TLS listeners.
func (e *env) listen() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.addr, e.tlsAddr = ln.Addr().String(), tln.Addr().String()
	go e.srv.Serve(ln)
	go e.srv.Serve(tls.NewListener(tln, e.cfg.TLS))
}

func (e *env) stop() {
	if e.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.srv.Shutdown(ctx)
	e.srv = nil
}

// restart stops the server, reopens the store and starts a new server.
func (e *env) restart() {
	e.stop()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.openStore()
	e.start()
}

func (e *env) deliver(body string) store.Delivered {
	e.t.Helper()
	res, err := e.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(body)},
		[]store.Target{{Account: e.acct.ID}})
	if err != nil || res[0].Err != nil {
		e.t.Fatalf("deliver: %v %v", err, res)
	}
	return res[0]
}

func (e *env) inbox() store.Mailbox {
	e.t.Helper()
	mb, err := e.st.Mailbox(context.Background(), e.acct.ID, "INBOX")
	if err != nil {
		e.t.Fatal(err)
	}
	return mb
}

func (e *env) messages() []store.Message {
	e.t.Helper()
	ms, err := e.st.Messages(context.Background(), e.inbox().ID, 1, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

// testMessage is a small message with a distinct subject.
func testMessage(i int) string {
	return fmt.Sprintf("From: bob@example.com\r\nTo: alice@example.org\r\nSubject: message %d\r\n\r\nBody of message %d.\r\nSecond line.\r\n", i, i)
}

// client is a raw-socket POP3 client.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (e *env) dial() *client {
	e.t.Helper()
	c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.greet(c)
}

func (e *env) dialTLS() *client {
	e.t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.tlsAddr, e.client)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.greet(c)
}

func (e *env) greet(c net.Conn) *client {
	cl := e.wrap(c)
	cl.expect("+OK ")
	return cl
}

func (e *env) wrap(c net.Conn) *client {
	e.t.Cleanup(func() { c.Close() })
	return &client{t: e.t, c: c, r: bufio.NewReader(c)}
}

// dialRaw connects without reading the greeting.
func (e *env) dialRaw() *client {
	e.t.Helper()
	c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.wrap(c)
}

// login logs in with USER/PASS.
func (e *env) login() *client {
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK")
	return cl
}

func (cl *client) send(s string) {
	cl.t.Helper()
	cl.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(cl.c, s); err != nil {
		cl.t.Fatalf("send %q: %v", s, err)
	}
}

// line reads one line, without CRLF.
func (cl *client) line() string {
	cl.t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := cl.r.ReadString('\n')
	if err != nil {
		cl.t.Fatalf("read: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		cl.t.Fatalf("line %q does not end in CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// expect reads a line and checks its prefix.
func (cl *client) expect(prefix string) string {
	cl.t.Helper()
	l := cl.line()
	if !strings.HasPrefix(l, prefix) {
		cl.t.Fatalf("got %q, want a line starting with %q", l, prefix)
	}
	return l
}

// cmd sends a command and checks the prefix of its status line.
func (cl *client) cmd(line, prefix string) string {
	cl.t.Helper()
	cl.send(line + "\r\n")
	return cl.expect(prefix)
}

// multi reads the lines of a multi-line body, un-stuffed, up to ".".
func (cl *client) multi() []string {
	cl.t.Helper()
	var out []string
	for {
		l := cl.line()
		if l == "." {
			return out
		}
		out = append(out, strings.TrimPrefix(l, "."))
	}
}

// rawMulti reads a multi-line body as sent, up to and without ".\r\n".
func (cl *client) rawMulti() []byte {
	cl.t.Helper()
	var b bytes.Buffer
	for {
		cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := cl.r.ReadString('\n')
		if err != nil {
			cl.t.Fatalf("read: %v", err)
		}
		if l == ".\r\n" {
			return b.Bytes()
		}
		b.WriteString(l)
	}
}

// closed checks that the server closed the connection.
func (cl *client) closed() {
	cl.t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if l, err := cl.r.ReadString('\n'); err == nil {
		cl.t.Fatalf("connection still open: read %q", l)
	}
}
