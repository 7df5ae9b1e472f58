package imapd

import (
	"context"
	"crypto/tls"
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

// env is a store with one account and an IMAP server on loopback.
type env struct {
	t       testing.TB
	dir     string
	st      *sqlite.Store
	auth    *accounts.Service
	acct    store.Account
	cfg     Config
	deps    Deps
	srv     *Server
	addr    string // plain listener (STARTTLS)
	tlsAddr string // implicit TLS
	client  *tls.Config
	logs    *testkit.LogBuffer
}

func newEnv(t testing.TB, mod func(*Config, *Deps)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), logs: &testkit.LogBuffer{}}
	e.st = testkit.OpenStore(t, e.dir)
	e.auth = testkit.Accounts(e.st, accounts.Options{HashConcurrency: 2})
	e.acct = testkit.AddUser(t, e.auth, testUser, testPass)
	var serverTLS *tls.Config
	serverTLS, e.client = testkit.TLS(t, "localhost", e.dir)
	e.cfg = Config{TLS: serverTLS, AllowInsecureAuth: true, SpoolDir: e.dir}
	e.deps = Deps{Store: e.st, Auth: e.auth, Log: testkit.Logger(e.logs)}
	if mod != nil {
		mod(&e.cfg, &e.deps)
	}
	e.srv = New(e.cfg, e.deps)
	tcfg := e.cfg
	tcfg.ImplicitTLS, tcfg.Name = true, "imaps"
	tsrv := New(tcfg, e.deps)
	ln, tln := testkit.Listen(t), testkit.Listen(t)
	e.addr, e.tlsAddr = ln.Addr().String(), tln.Addr().String()
	go e.srv.Serve(ln)
	go tsrv.Serve(tln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		tsrv.Shutdown(ctx)
		e.st.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

// deliver stores a message in the account's mailbox (INBOX when empty).
func (e *env) deliver(mailbox, msg string, flags store.Flags) store.UID {
	e.t.Helper()
	res, err := e.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(msg)},
		[]store.Target{{Account: e.acct.ID, MailboxName: mailbox, Flags: flags}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return res[0].UID
}

func testMessage(subject, body string) string {
	return "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: " + subject +
		"\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <" + subject + "@example.net>\r\n\r\n" + body + "\r\n"
}

// raw is a byte-exact client: testkit's IMAP client (every line ends in
// CRLF; tagged commands, literals read into their response).
type raw struct{ *testkit.IMAP }

// rawOn makes a raw client of c with one deadline, 20 s away, for the
// whole connection (tests that need more clear it).
func rawOn(c *testkit.Conn) *raw {
	c.Timeout = 0
	c.C.SetDeadline(time.Now().Add(20 * time.Second))
	return &raw{&testkit.IMAP{Conn: c}}
}

func (e *env) dial() *raw {
	e.t.Helper()
	r := rawOn(testkit.Dial(e.t, e.addr))
	r.Expect("* OK [CAPABILITY IMAP4rev1 IMAP4rev2")
	return r
}

// login dials and logs in.
func (e *env) login() *raw {
	r := e.dial()
	r.OK("a LOGIN " + testUser + ` "` + testPass + `"`)
	return r
}

func has(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}
