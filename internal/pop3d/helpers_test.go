package pop3d

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
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
	logs    *testkit.LogBuffer
}

// newEnv starts a server; mod adjusts its configuration.
func newEnv(t *testing.T, mod func(*Config, *Deps)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), logs: &testkit.LogBuffer{}}
	e.openStore()
	e.acct = testkit.AddUser(t, e.auth, testUser, testPass)
	var serverTLS *tls.Config
	serverTLS, e.client = testkit.TLS(t, "localhost", e.dir)
	e.cfg = Config{Hostname: "pop.example.org", TLS: serverTLS, AllowInsecureAuth: true, SeenFlushDelay: 20 * time.Millisecond}
	e.deps = Deps{Store: e.st, Auth: e.auth, Logger: testkit.Logger(e.logs)}
	if mod != nil {
		mod(&e.cfg, &e.deps)
	}
	e.start()
	t.Cleanup(func() { e.stop(); e.st.Close() })
	return e
}

// openStore opens the store and the accounts service on it.
func (e *env) openStore() {
	e.st = testkit.OpenStore(e.t, e.dir)
	e.auth = testkit.Accounts(e.st, accounts.Options{HashConcurrency: 2})
}

// start runs a server with a plain and an implicit-TLS listener.
func (e *env) start() {
	e.deps.Store, e.deps.Auth = e.st, e.auth
	e.srv = New(e.cfg, e.deps)
	e.listen()
}

// listen serves e.srv on new plain and implicit-TLS listeners.
func (e *env) listen() {
	ln, tln := testkit.Listen(e.t), testkit.Listen(e.t)
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
type client struct{ *testkit.Conn }

func (e *env) dial() *client {
	e.t.Helper()
	cl := e.dialRaw()
	cl.Expect("+OK ")
	return cl
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
	cl.Expect("+OK ")
	return cl
}

func (e *env) wrap(c net.Conn) *client { return &client{testkit.Wrap(e.t, c)} }

// dialRaw connects without reading the greeting.
func (e *env) dialRaw() *client { return &client{testkit.Dial(e.t, e.addr)} }

// login logs in with USER/PASS.
func (e *env) login() *client {
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK")
	return cl
}

// cmd sends a command and checks the prefix of its status line.
func (cl *client) cmd(line, prefix string) string {
	cl.T.Helper()
	cl.Send(line + "\r\n")
	return cl.Expect(prefix)
}

// multi reads the lines of a multi-line body, un-stuffed, up to ".".
func (cl *client) multi() []string {
	cl.T.Helper()
	var out []string
	for {
		l := cl.Line()
		if l == "." {
			return out
		}
		out = append(out, strings.TrimPrefix(l, "."))
	}
}

// rawMulti reads a multi-line body as sent, up to and without ".\r\n".
func (cl *client) rawMulti() []byte {
	cl.T.Helper()
	var b bytes.Buffer
	for {
		cl.C.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := cl.R.ReadString('\n')
		if err != nil {
			cl.T.Fatalf("read: %v", err)
		}
		if l == ".\r\n" {
			return b.Bytes()
		}
		b.WriteString(l)
	}
}
