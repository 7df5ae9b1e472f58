package main

// Helpers of the several-node tests (nodes_test.go, README "Several
// nodes"): `petrel serve` processes of one binary, each with its own data
// directory and ports, on one PostgreSQL database; a DNS server answering
// nothing; and a fake remote MX for the domain remote.test that counts
// what it receives.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/testkit"
)

// nodesPassword is the password of every account of the cluster.
const nodesPassword = "nodes-secret"

// cluster is a database shared by nodes, the binary they run, the DNS
// server of their configurations and the fake MX of remote.test.
type cluster struct {
	t      *testing.T
	bin    string
	dsn    string
	dns    *dnstest.Server
	remote *fakeMX
	used   map[string]bool // listener addresses handed to nodes
}

// addr is a free loopback address that no node of the cluster was given
// (testkit.FreeAddr alone may hand out one port twice: it only checks that
// the port is free now).
func (c *cluster) addr() string {
	c.t.Helper()
	for {
		a := testkit.FreeAddr(c.t)
		if !c.used[a] {
			if c.used == nil {
				c.used = make(map[string]bool)
			}
			c.used[a] = true
			return a
		}
	}
}

// newCluster builds the binary and creates a database (skipping without
// PETREL_TEST_POSTGRES); no node is started.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	return newClusterOn(t, postgresDatabase(t))
}

// newClusterOn is newCluster on the database of dsn.
func newClusterOn(t *testing.T, dsn string) *cluster {
	t.Helper()
	return &cluster{t: t, dsn: dsn, bin: buildPetrel(t), dns: dnstest.Start(t), remote: startFakeMX(t)}
}

// node is one `petrel serve` process of a cluster.
type node struct {
	t                     *testing.T
	c                     *cluster
	name                  string // "a", "b": the host name is mx-NAME.example.org
	config, dataDir       string
	smtp, sub, imap, pop3 string
	http                  string
	extra, lease          string // what write was given first
	cmd                   *exec.Cmd
	run                   *binaryRun
}

// newNode writes the configuration of a node (retries every second, claim
// leases of lease, remote.test routed to the fake MX) with extra appended
// at the top level; the node is not started.
func (c *cluster) newNode(name, lease, extra string) *node {
	c.t.Helper()
	dir := c.t.TempDir()
	n := &node{t: c.t, c: c, name: name, config: filepath.Join(dir, "petrel.toml"), dataDir: filepath.Join(dir, "data"),
		extra: extra, lease: lease}
	n.pickAddrs()
	n.write(extra, lease)
	return n
}

// pickAddrs gives the node fresh listener addresses.
func (n *node) pickAddrs() {
	c := n.c
	n.smtp, n.sub, n.imap, n.pop3, n.http = c.addr(), c.addr(), c.addr(), c.addr(), c.addr()
}

func (n *node) write(extra, lease string) {
	cfg := fmt.Sprintf(`hostname = "mx-%s.example.org"
data_dir = %q
%s
[listen]
smtp = [%q]
submission = [%q]
submissions = []
imap = [%q]
imaps = []
pop3 = [%q]
pop3s = []
http = [%q]
[tls]
allow_insecure_auth = true
[smtp]
verify_senders = false
max_connections_per_ip = 1000
[limits]
max_connections_per_ip = 1000
[dns]
servers = [%q]
[storage]
driver = "postgres"
dsn = %q
[log]
level = "info"
[delivery]
retry = ["1s"]
claim_lease = %q
[delivery.routes]
"remote.test" = %q
`, n.name, n.dataDir, extra, n.smtp, n.sub, n.imap, n.pop3, n.http, n.c.dns.Addr, n.c.dsn, lease, n.c.remote.addr)
	if err := os.WriteFile(n.config, []byte(cfg), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// cli runs an administration command of the binary on the node's
// configuration, which must succeed, and returns its standard output.
func (n *node) cli(stdin string, args ...string) string {
	n.t.Helper()
	out, errOut, err := n.cliResult(stdin, args...)
	if err != nil {
		n.t.Fatalf("node %s: petrel %s: %v\n%s", n.name, strings.Join(args, " "), err, errOut)
	}
	return out
}

// cliResult runs an administration command and returns its outputs.
func (n *node) cliResult(stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(n.c.bin, append(args, "--config", n.config)...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// addUsers creates accounts with nodesPassword.
func (n *node) addUsers(addrs ...string) {
	n.t.Helper()
	for _, a := range addrs {
		n.cli(nodesPassword+"\n", "user", "add", a, "--password-stdin")
	}
}

// start runs `petrel serve` and returns once /healthz answers and SMTP
// greets.
func (n *node) start() {
	n.t.Helper()
	// A port taken by another process between its choice and the bind
	// (another test package picks in the same range): fresh ports, again.
	for try := 1; ; try++ {
		n.cmd = exec.Command(n.c.bin, "serve", "--config", n.config)
		n.run = startBinary(n.t, n.cmd)
		if !n.bindRace() || try == 3 {
			break
		}
		n.pickAddrs()
		n.write(n.extra, n.lease)
	}
	waitHealthy(n.t, "http://"+n.http+"/healthz", n.run.exited, &n.run.log)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := e2eGreets(n.smtp)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("node %s: SMTP does not greet: %v\n%s", n.name, err, n.run.log.String())
		}
	}
}

// bindRace waits until the node answers /healthz or exits, and reports
// whether it exited because a listener address was in use.
func (n *node) bindRace() bool {
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-n.run.exited:
			return strings.Contains(n.run.log.String(), "address already in use")
		default:
		}
		if resp, err := http.Get("http://" + n.http + "/healthz"); err == nil {
			resp.Body.Close()
			return false
		}
	}
	return false
}

// kill sends SIGKILL and waits for the process to end.
func (n *node) kill() {
	n.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		n.t.Fatal(err)
	}
	<-n.run.exited
}

// imapLogin connects to the node's IMAP listener and logs in as user.
func (n *node) imapLogin(user string) *testkit.IMAP {
	n.t.Helper()
	c := &testkit.IMAP{Conn: testkit.Dial(n.t, n.imap)}
	c.Expect("* OK")
	c.OK("l LOGIN " + user + " " + nodesPassword)
	return c
}

// submit sends a message through the node's submission listener: EHLO,
// STARTTLS, AUTH PLAIN as user, then the transaction.
func (n *node) submit(user string, to []string, msg []byte) error {
	return e2eSubmit(n.sub, user, nodesPassword, to, msg)
}

// fakeMX is the MX of remote.test: it takes every message, after a delay
// once the data has arrived (a slow remote: attempts stay in flight), and
// records each transaction with the EHLO name of its client. A message is
// kept even when its client went away during the delay, as a real MTA
// that committed it before its reply would: the sender tries it again, a
// duplicate.
type fakeMX struct {
	addr string

	mu     sync.Mutex
	delay  time.Duration
	txns   []*fakeTxn
	bodies map[string][]byte // Message-ID -> the last copy
}

// fakeTxn is one transaction: from MAIL to the reply to DATA (end, zero
// while it runs); id is the Message-ID of a message kept.
type fakeTxn struct {
	helo, id   string
	start, end time.Time
}

func startFakeMX(t *testing.T) *fakeMX {
	t.Helper()
	m := &fakeMX{bodies: map[string][]byte{}}
	l := testkit.Listen(t)
	m.addr = l.Addr().String()
	srv := smtp.NewServer(m)
	srv.Domain = "mx.remote.test"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *fakeMX) setDelay(d time.Duration) {
	m.mu.Lock()
	m.delay = d
	m.mu.Unlock()
}

// kept returns the transactions that kept a message, in order.
func (m *fakeMX) kept() []fakeTxn {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []fakeTxn
	for _, x := range m.txns {
		if x.id != "" {
			out = append(out, *x)
		}
	}
	return out
}

// copies returns the number of copies received of each Message-ID.
func (m *fakeMX) copies() map[string]int {
	out := map[string]int{}
	for _, x := range m.kept() {
		out[x.id]++
	}
	return out
}

// overlapping counts the transactions of the client named helo that had
// begun at t and had not ended before t-slack: those whose outcome the
// client may not have heard of had it died at t.
func (m *fakeMX) overlapping(helo string, t time.Time, slack time.Duration) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, x := range m.txns {
		if x.helo == helo && x.start.Before(t) && (x.end.IsZero() || x.end.After(t.Add(-slack))) {
			n++
		}
	}
	return n
}

// open counts the transactions of the client named helo still running.
func (m *fakeMX) open(helo string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, x := range m.txns {
		if x.helo == helo && x.end.IsZero() {
			n++
		}
	}
	return n
}

// body is the last copy received of the message with Message-ID id.
func (m *fakeMX) body(id string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bodies[id]
}

// NewSession implements smtp.Backend.
func (m *fakeMX) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &fakeSession{m: m, helo: c.Hostname()}, nil
}

type fakeSession struct {
	m    *fakeMX
	helo string
	txn  *fakeTxn // between MAIL and the reply to DATA
}

func (s *fakeSession) Mail(string, *smtp.MailOptions) error {
	s.txn = &fakeTxn{helo: s.helo, start: time.Now()}
	s.m.mu.Lock()
	s.m.txns = append(s.m.txns, s.txn)
	s.m.mu.Unlock()
	return nil
}

func (s *fakeSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *fakeSession) Data(r io.Reader) error {
	defer s.Reset()
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	delay := s.m.delay
	s.m.mu.Unlock()
	time.Sleep(delay)
	id := headerValue(body, "Message-ID")
	s.m.mu.Lock()
	s.txn.id = id
	s.m.bodies[id] = body
	s.m.mu.Unlock()
	return nil
}

func (s *fakeSession) Reset() {
	if s.txn != nil {
		s.m.mu.Lock()
		s.txn.end = time.Now()
		s.m.mu.Unlock()
		s.txn = nil
	}
}

func (s *fakeSession) Logout() error {
	s.Reset()
	return nil
}

// headerValue is the value of the first header field called name in msg,
// unfolded and trimmed; "" without one.
func headerValue(msg []byte, name string) string {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	head = bytes.ReplaceAll(head, []byte("\r\n "), []byte(" "))
	head = bytes.ReplaceAll(head, []byte("\r\n\t"), []byte(" "))
	for line := range strings.SplitSeq(string(head), "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
