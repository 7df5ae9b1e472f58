package main

// Helpers of the end-to-end tests (e2e_smtp_test.go, interop_postfix_test.go)
// and of BenchmarkSMTPEndToEnd: a petrel binary run as a child process on
// loopback ports, an SMTP sender, and a reader of the mailboxes that opens
// the store directly once the server has stopped.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// requireEnv skips the test unless the environment variable is "1".
func requireEnv(t testing.TB, name string) {
	t.Helper()
	if os.Getenv(name) != "1" {
		t.Skipf("set %s=1 to run this test", name)
	}
}

// e2eConfig is the text of a configuration with every listener off except
// SMTP (and LMTP when lmtp is not empty) and HTTP.
func e2eConfig(dataDir, smtpAddr, lmtpAddr, httpAddr string) string {
	lmtp := "[]"
	if lmtpAddr != "" {
		lmtp = fmt.Sprintf("[%q]", lmtpAddr)
	}
	return fmt.Sprintf(`hostname = "mail.example.org"
data_dir = %q
[listen]
smtp = [%q]
submission = []
submissions = []
imap = []
imaps = []
pop3 = []
pop3s = []
http = [%q]
lmtp = %s
[smtp]
max_connections_per_ip = 1000
verify_senders = false
[limits]
max_connections_per_ip = 1000
[log]
level = "warn"
`, dataDir, smtpAddr, httpAddr, lmtp)
}

// e2eServer is the petrel binary serving a configuration as a child
// process. At the end of the test a server still running is killed.
type e2eServer struct {
	t                *testing.T
	bin, config      string
	dataDir          string
	smtp, lmtp, http string // listening addresses; lmtp may be empty

	cmd     *exec.Cmd
	log     *testkit.LogBuffer // the server's output, all runs
	exited  chan struct{}
	waitErr error
}

// newE2EServer writes a configuration for bin in a temporary directory;
// withLMTP adds an LMTP listener. The server is not started.
func newE2EServer(t *testing.T, bin string, withLMTP bool) *e2eServer {
	t.Helper()
	dir := t.TempDir()
	s := &e2eServer{t: t, bin: bin, config: filepath.Join(dir, "petrel.toml"),
		dataDir: filepath.Join(dir, "data"), smtp: testkit.FreeAddr(t), http: testkit.FreeAddr(t), log: &testkit.LogBuffer{}}
	if withLMTP {
		s.lmtp = testkit.FreeAddr(t)
	}
	if err := os.WriteFile(s.config, []byte(e2eConfig(s.dataDir, s.smtp, s.lmtp, s.http)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.running() {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// cli runs an administration command of the binary, which must succeed,
// and returns its standard output.
func (s *e2eServer) cli(stdin string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, append(args, "--config", s.config)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("petrel %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// addUsers creates accounts with a fixed password.
func (s *e2eServer) addUsers(addrs ...string) {
	s.t.Helper()
	for _, a := range addrs {
		s.cli("e2e-password\n", "user", "add", a, "--password-stdin")
	}
}

func (s *e2eServer) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// start runs `petrel serve` and returns once /healthz answers and the SMTP
// (and LMTP) listeners greet.
func (s *e2eServer) start() {
	s.t.Helper()
	noDemoListeners(s.t, s.config)
	fmt.Fprintf(s.log, "--- petrel serve started %s\n", time.Now().Format(time.RFC3339Nano))
	s.cmd = exec.Command(s.bin, "serve", "--config", s.config)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		s.waitErr = cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	waitHealthy(s.t, "http://"+s.http+"/healthz", s.exited, s.log)
	s.waitGreeting(s.smtp)
	if s.lmtp != "" {
		s.waitGreeting(s.lmtp)
	}
}

// waitGreeting waits until addr answers with a 220 greeting.
func (s *e2eServer) waitGreeting(addr string) {
	s.t.Helper()
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !s.running() {
			s.t.Fatalf("petrel serve exited:\n%s", s.log.String())
		}
		if err = e2eGreets(addr); err == nil {
			return
		}
	}
	s.t.Fatalf("nothing greets on %s (is the listener wired into serve?): %v\n%s", addr, err, s.log.String())
}

// e2eGreets connects to addr and reads a 220 greeting.
func e2eGreets(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the greeting: %w", err)
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", line)
	}
	return nil
}

// stop sends SIGTERM and requires a clean exit within 15 s.
func (s *e2eServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			s.t.Fatalf("petrel serve after SIGTERM: %v\n%s", s.waitErr, s.log.String())
		}
	case <-time.After(15 * time.Second):
		s.t.Fatalf("petrel serve still running 15 s after SIGTERM:\n%s", s.log.String())
	}
}

// kill sends SIGKILL and waits for the process to end.
func (s *e2eServer) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// e2eSend sends one message over a new connection and returns nil only for
// a 250 after DATA.
func e2eSend(addr, helo, from string, to []string, msg []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(helo); err != nil {
		return err
	}
	if err := e2eTransaction(c, from, to, msg); err != nil {
		return err
	}
	return c.Quit()
}

// e2eTransaction runs MAIL, RCPT and DATA on an open session.
func e2eTransaction(c *smtp.Client, from string, to []string, msg []byte) error {
	if err := c.Mail(from, nil); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fmt.Errorf("RCPT %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return nil
}

// e2eMessage is a message as stored in a mailbox.
type e2eMessage struct {
	uid       store.UID
	messageID string // from the metadata parsed at delivery
	raw       []byte
}

// e2eReadInboxes opens the store of dataDir (no server may be running on
// it) and returns the INBOX messages of each address.
func e2eReadInboxes(t testing.TB, dataDir string, addrs []string) map[string][]e2eMessage {
	t.Helper()
	ctx := context.Background()
	st := testkit.OpenStore(t, dataDir)
	defer st.Close()
	out := make(map[string][]e2eMessage, len(addrs))
	for _, addr := range addrs {
		id, err := st.LookupAddress(ctx, addr)
		if err != nil {
			t.Fatalf("account %s: %v", addr, err)
		}
		mb, err := st.Mailbox(ctx, id, store.InboxName)
		if err != nil {
			t.Fatalf("INBOX of %s: %v", addr, err)
		}
		msgs, err := st.Messages(ctx, mb.ID, 1, 0)
		if err != nil {
			t.Fatalf("messages of %s: %v", addr, err)
		}
		for _, m := range msgs {
			meta, err := st.Meta(ctx, mb.ID, m.UID)
			if err != nil {
				t.Fatalf("metadata of %s UID %d: %v", addr, m.UID, err)
			}
			b, err := st.OpenBlob(ctx, m.Blob)
			if err != nil {
				t.Fatalf("body of %s UID %d: %v", addr, m.UID, err)
			}
			raw, err := io.ReadAll(b)
			b.Close()
			if err != nil {
				t.Fatalf("reading the body of %s UID %d: %v", addr, m.UID, err)
			}
			if int64(len(raw)) != m.Size {
				t.Errorf("%s UID %d: body of %d bytes, size %d recorded", addr, m.UID, len(raw), m.Size)
			}
			out[addr] = append(out[addr], e2eMessage{uid: m.UID, messageID: meta.Envelope.MessageID, raw: raw})
		}
	}
	return out
}

// e2eSplitTrace splits a delivered message into the Return-Path,
// Authentication-Results (on the MX, when it checks) and Received fields
// Petrel prepends and the message as it arrived.
func e2eSplitTrace(raw []byte) (trace string, rest []byte, err error) {
	if !bytes.HasPrefix(raw, []byte("Return-Path: ")) {
		return "", nil, errors.New("the message does not start with Return-Path")
	}
	i := bytes.Index(raw, []byte("\r\n")) + 2
	if bytes.HasPrefix(raw[i:], []byte("Authentication-Results: ")) {
		i += bytes.Index(raw[i:], []byte("\r\nReceived: ")) + 2
	}
	if !bytes.HasPrefix(raw[i:], []byte("Received: ")) {
		return "", nil, errors.New("no Received field after Return-Path")
	}
	for {
		j := bytes.Index(raw[i:], []byte("\r\n"))
		if j < 0 {
			return "", nil, errors.New("unterminated Received field")
		}
		i += j + 2
		if i >= len(raw) || (raw[i] != ' ' && raw[i] != '\t') {
			return string(raw[:i]), raw[i:], nil
		}
	}
}
