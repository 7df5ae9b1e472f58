package main

// End-to-end POP3 through the binary: mail in over SMTP, out over pop3
// (STLS) and pop3s, deletions and \Seen seen by an IMAP session, UIDL
// stable across a restart of the server; the
// interop tests with fetchmail and getmail are in pop3_interop_test.go.

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/testkit"
)

const pop3User, pop3Password = "alice@example.org", "e2e-password"

// pop3Server is an e2eServer with the pop3 and pop3s listeners on.
type pop3Server struct {
	*e2eServer
	pop3, pop3s, imap string
	client            *tls.Config // trusts the server's self-signed certificate
}

func newPOP3Server(t *testing.T) *pop3Server {
	t.Helper()
	s := &pop3Server{e2eServer: newE2EServer(t, buildPetrel(t), false), pop3: testkit.FreeAddr(t), pop3s: testkit.FreeAddr(t), imap: testkit.FreeAddr(t)}
	conf := e2eConfig(s.dataDir, s.smtp, "", s.http)
	conf = strings.Replace(conf, "pop3 = []", fmt.Sprintf("pop3 = [%q]", s.pop3), 1)
	conf = strings.Replace(conf, "pop3s = []", fmt.Sprintf("pop3s = [%q]", s.pop3s), 1)
	conf = strings.Replace(conf, "imap = []", fmt.Sprintf("imap = [%q]", s.imap), 1)
	if err := os.WriteFile(s.config, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cli("", "domain", "add", "example.org")
	s.addUsers(pop3User)
	return s
}

// start starts the server and loads the certificate it made.
func (s *pop3Server) start() {
	s.t.Helper()
	s.e2eServer.start()
	s.client = testkit.TrustCert(s.t, filepath.Join(certs.Dir(s.dataDir), certs.CertFile), "localhost")
}

// deliver sends n messages over SMTP; message i has Subject "pop3 test i".
func (s *pop3Server) deliver(n int) {
	s.t.Helper()
	for i := range n {
		msg := fmt.Sprintf("From: bob@example.com\r\nTo: %s\r\nSubject: pop3 test %d\r\nMessage-ID: <pop3-%d@example.com>\r\n\r\n.line with a dot\r\nbody %d\r\n", pop3User, i, i, i)
		if err := e2eSend(s.smtp, "client.example.com", "bob@example.com", []string{pop3User}, []byte(msg)); err != nil {
			s.t.Fatalf("SMTP delivery %d: %v", i, err)
		}
	}
}

// pop3Conn is a POP3 client on testkit's line client.
type pop3Conn struct{ *testkit.Conn }

func newPOP3Conn(t *testing.T, c net.Conn) *pop3Conn { return &pop3Conn{testkit.Wrap(t, c)} }

// multi reads a multi-line response, un-stuffed, up to ".".
func (p *pop3Conn) multi() []string {
	p.T.Helper()
	var out []string
	for l := p.Line(); l != "."; l = p.Line() {
		out = append(out, strings.TrimPrefix(l, "."))
	}
	return out
}

// dialSTLS connects to pop3, upgrades with STLS and logs in.
func (s *pop3Server) dialSTLS() *pop3Conn {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.pop3, 5*time.Second)
	if err != nil {
		s.t.Fatal(err)
	}
	p := newPOP3Conn(s.t, c)
	if g := p.Line(); !strings.HasPrefix(g, "+OK mail.example.org") {
		s.t.Fatalf("greeting %q", g)
	}
	// tls.allow_insecure_auth is off: no credentials before STLS.
	p.Ask("USER "+pop3User, "-ERR")
	p.Ask("STLS", "+OK")
	tc := tls.Client(c, s.client)
	if err := tc.Handshake(); err != nil {
		s.t.Fatalf("STLS handshake: %v", err)
	}
	p = newPOP3Conn(s.t, tc)
	p.Ask("USER "+pop3User, "+OK")
	p.Ask("PASS "+pop3Password, "+OK")
	return p
}

// dialTLS connects to pop3s and logs in with AUTH PLAIN.
func (s *pop3Server) dialTLS() *pop3Conn {
	s.t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.pop3s, s.client)
	if err != nil {
		s.t.Fatal(err)
	}
	p := newPOP3Conn(s.t, c)
	p.Line()
	p.Ask("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGUyZS1wYXNzd29yZA==", "+OK")
	return p
}

func TestPOP3EndToEnd(t *testing.T) {
	s := newPOP3Server(t)
	s.start()
	s.deliver(3)
	p := s.dialSTLS()
	p.Ask("STAT", "+OK 3 ")
	p.Ask("UIDL", "+OK")
	uidl := p.multi()
	p.Ask("RETR 2", "+OK")
	body := p.multi()
	if !slices.Contains(body, "Subject: pop3 test 1") || !slices.Contains(body, ".line with a dot") || body[0] != "Return-Path: <bob@example.com>" {
		t.Fatalf("RETR 2 = %q", body)
	}
	// A second session on the same maildrop, over pop3s: [IN-USE].
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.pop3s, s.client)
	if err != nil {
		t.Fatal(err)
	}
	other := newPOP3Conn(t, c)
	other.Line()
	other.Ask("USER "+pop3User, "+OK")
	other.Ask("PASS "+pop3Password, "-ERR [IN-USE]")
	// An IMAP client with the INBOX selected sees the QUIT's expunge, and
	// the \Seen that RETR set.
	expunged := make(chan uint32, 4)
	ic, err := imapclient.DialStartTLS(s.imap, &imapclient.Options{TLSConfig: s.client,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Expunge: func(seq uint32) { expunged <- seq }}})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login(pop3User, pop3Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := ic.Idle()
	if err != nil {
		t.Fatal(err)
	}
	p.Ask("DELE 1", "+OK")
	p.Ask("QUIT", "+OK")
	select {
	case seq := <-expunged:
		if seq != 1 {
			t.Errorf("IMAP EXPUNGE %d, want 1", seq)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the IMAP session did not hear of the POP3 deletion")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := ic.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil || len(msgs) != 1 || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Fatalf("IMAP flags of the retrieved message: %+v, %v", msgs, err)
	}
	ic.Logout().Wait()

	s.stop()
	s.start()
	p = s.dialTLS()
	p.Ask("STAT", "+OK 2 ")
	p.Ask("UIDL", "+OK")
	after := p.multi()
	if len(after) != 2 || after[0][2:] != uidl[1][2:] || after[1][2:] != uidl[2][2:] {
		t.Fatalf("UIDL before the restart %q, after %q", uidl, after)
	}
	p.Ask("QUIT", "+OK")
	s.stop()
}

// TestPOP3ConfigLimits: [pop3] reaches the server: with
// max_connections_per_ip = 1 a second connection from the same address
// is refused with -ERR, and max_bad_commands = 1 closes a session at its
// second bad command before login.
func TestPOP3ConfigLimits(t *testing.T) {
	s := newPOP3Server(t)
	f, err := os.OpenFile(s.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "\n[pop3]\nmax_connections_per_ip = 1\nmax_bad_commands = 1\n")
	f.Close()
	s.start()
	first, err := net.DialTimeout("tcp", s.pop3, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := newPOP3Conn(t, first)
	if g := p.Line(); !strings.HasPrefix(g, "+OK") {
		t.Fatalf("greeting %q", g)
	}
	second, err := net.DialTimeout("tcp", s.pop3, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if g := newPOP3Conn(t, second).Line(); !strings.HasPrefix(g, "-ERR") {
		t.Errorf("second connection from the same address: %q, want -ERR", g)
	}
	p.Ask("BOGUS", "-ERR")
	p.C.SetDeadline(time.Now().Add(10 * time.Second))
	p.C.Write([]byte("BOGUS\r\n"))
	rest, _ := io.ReadAll(p.R)
	if !strings.Contains(string(rest), "-ERR") {
		t.Errorf("second bad command: %q, want -ERR and the connection closed", rest)
	}
}
