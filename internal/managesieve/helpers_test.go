package managesieve

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

const (
	testUser = "alice@example.org"
	testPass = "correct horse"
)

// env is a store with one account, and a ManageSieve server on loopback.
type env struct {
	t       *testing.T
	st      *sqlite.Store
	auth    *accounts.Service
	checks  *countingAuth
	scripts *sievescripts.Scripts
	cfg     Config
	deps    Deps
	srv     *Server
	addr    string
	client  *tls.Config
	logs    *testkit.LogBuffer
}

// countingAuth counts the password checks.
type countingAuth struct {
	Authenticator
	n atomic.Int64
}

func (c *countingAuth) Authenticate(ctx context.Context, user, pass string) (store.Account, error) {
	c.n.Add(1)
	return c.Authenticator.Authenticate(ctx, user, pass)
}

// newEnv starts a server that allows AUTHENTICATE without TLS; mod
// adjusts its configuration.
func newEnv(t *testing.T, mod func(*Config, *Deps)) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, logs: &testkit.LogBuffer{}}
	e.st = testkit.OpenStore(t, dir)
	e.auth = testkit.Accounts(e.st, accounts.Options{HashConcurrency: 2})
	e.checks = &countingAuth{Authenticator: e.auth}
	testkit.AddUser(t, e.auth, testUser, testPass)
	e.scripts = sievescripts.New(e.st, sieve.Limits{})
	var serverTLS *tls.Config
	serverTLS, e.client = testkit.TLS(t, "localhost", dir)
	e.cfg = Config{Hostname: "sieve.example.org", TLS: serverTLS, AllowInsecureAuth: true}
	e.deps = Deps{Scripts: e.scripts, Auth: e.checks, Extensions: sieve.Capabilities(), MaxRedirects: 4,
		Logger: testkit.Logger(e.logs)}
	if mod != nil {
		mod(&e.cfg, &e.deps)
	}
	e.srv = New(e.cfg, e.deps)
	ln := testkit.Listen(t)
	e.addr = ln.Addr().String()
	go e.srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		e.st.Close()
	})
	return e
}

// client is a raw-socket ManageSieve client.
type client struct{ *testkit.Conn }

// response is one server response: its data lines (literals joined in)
// and its status line.
type response struct {
	data   []string
	status string
}

// dial connects and reads the greeting.
func (e *env) dial() (*client, response) {
	e.t.Helper()
	cl := &client{testkit.Dial(e.t, e.addr)}
	g := cl.response()
	if !strings.HasPrefix(g.status, "OK") {
		e.t.Fatalf("greeting: %+v", g)
	}
	return cl, g
}

// login connects and logs in with PLAIN and an initial response.
func (e *env) login() *client {
	e.t.Helper()
	cl, _ := e.dial()
	cl.ok(`AUTHENTICATE "PLAIN" "` + plain(testUser, testPass) + `"`)
	return cl
}

func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// line reads a line, and the literal it announces at its end, if any
// ("{N}" CRLF N octets), joined in with its CRLF.
func (cl *client) line() string {
	cl.T.Helper()
	l := cl.Line()
	i := strings.LastIndexByte(l, '{')
	if i < 0 || !strings.HasSuffix(l, "}") {
		return l
	}
	n, err := strconv.Atoi(strings.TrimSuffix(l[i+1:len(l)-1], "+"))
	if err != nil {
		return l
	}
	buf := make([]byte, n)
	cl.C.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(cl.R, buf); err != nil {
		cl.T.Fatalf("reading a literal of %d octets: %v", n, err)
	}
	return l + "\r\n" + string(buf) + cl.line()
}

// response reads data lines up to a status line (OK, NO or BYE).
func (cl *client) response() response {
	cl.T.Helper()
	var r response
	for {
		l := cl.line()
		for _, k := range []string{"OK", "NO", "BYE"} {
			if l == k || strings.HasPrefix(l, k+" ") {
				r.status = l
				return r
			}
		}
		r.data = append(r.data, l)
	}
}

// cmd sends a command (CRLF added) and reads its response.
func (cl *client) cmd(line string) response {
	cl.T.Helper()
	cl.Send(line + "\r\n")
	return cl.response()
}

// ok sends a command whose status must be OK.
func (cl *client) ok(line string) response {
	cl.T.Helper()
	r := cl.cmd(line)
	if !strings.HasPrefix(r.status, "OK") {
		cl.T.Fatalf("%.80q: got %q, want OK", line, r.status)
	}
	return r
}

// expect sends a command whose status must start with prefix.
func (cl *client) expect(line, prefix string) response {
	cl.T.Helper()
	r := cl.cmd(line)
	if !strings.HasPrefix(r.status, prefix) {
		cl.T.Fatalf("%.80q: got %q, want %q", line, r.status, prefix)
	}
	return r
}

// literal is s as a non-synchronizing literal.
func literal(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

// hasCap reports whether the capability name is in the data lines, and
// its value.
func hasCap(data []string, name string) (string, bool) {
	for _, l := range data {
		k, v, _ := strings.Cut(l, " ")
		if strings.EqualFold(k, `"`+name+`"`) {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}
