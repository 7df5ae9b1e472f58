package imapd

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDovecotSortThread compares Petrel's answers to UID SORT (DATE),
// (SUBJECT), (FROM) and UID THREAD REFERENCES and ORDEREDSUBJECT with
// Dovecot's on the same bench/genmbox mailbox (PETREL_INTEROP=1; a
// private Dovecot on loopback, bench/lib/dovecot.sh). Both get the
// messages in the same order, so UIDs match. The answers must be equal
// except where knownDovecotDifference explains them.
func TestDovecotSortThread(t *testing.T) {
	if os.Getenv("PETREL_INTEROP") != "1" {
		t.Skip("set PETREL_INTEROP=1 (needs dovecot-imapd)")
	}
	if _, err := exec.LookPath("dovecot"); err != nil {
		t.Fatal("dovecot is required with PETREL_INTEROP=1")
	}
	n := 3000
	root, _ := filepath.Abs("../..")
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755) // Dovecot's mail user walks to its home
	}
	mbox := filepath.Join(dir, "mbox")
	if out, err := runIn(root, nil, "go", "run", "./bench/genmbox", "-n", fmt.Sprint(n), "-o", mbox); err != nil {
		t.Fatalf("genmbox: %v %s", err, out)
	}
	msgs := readTestMbox(t, mbox)
	dv := startDovecot(t, root, filepath.Join(dir, "dovecot"))
	e := newEnv(t, nil)
	for _, m := range msgs {
		e.deliver("", string(m), 0)
		dv.append(t, m)
	}
	pt := dialPlain(t, e.addr, testUser, testPass)
	for _, cmd := range []string{"UID SORT (DATE) UTF-8 ALL", "UID SORT (SUBJECT) UTF-8 ALL", "UID SORT (FROM) UTF-8 ALL",
		"UID THREAD REFERENCES UTF-8 ALL", "UID THREAD ORDEREDSUBJECT UTF-8 ALL"} {
		p, d := pt.untagged(t, cmd), dv.untagged(t, cmd)
		if p == d {
			t.Logf("%s: the same (%d octets)", cmd, len(p))
			continue
		}
		i := 0
		for i < len(p) && i < len(d) && p[i] == d[i] {
			i++
		}
		lo := max(0, i-80)
		t.Errorf("%s differs at octet %d:\n petrel  ...%.200s\n dovecot ...%.200s", cmd, i, p[lo:], d[lo:])
	}
}

func runIn(dir string, env []string, name string, args ...string) ([]byte, error) {
	c := exec.Command(name, args...)
	c.Dir, c.Env = dir, append(os.Environ(), env...)
	return c.CombinedOutput()
}

// readTestMbox reads bench/genmbox's mboxrd: "From " separator lines,
// ">From " unescaped once, CRLF line ends.
func readTestMbox(t *testing.T, path string) [][]byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	var cur []byte
	for _, l := range bytes.SplitAfter(raw, []byte("\n")) {
		l = bytes.TrimRight(l, "\r\n")
		if bytes.HasPrefix(l, []byte("From ")) {
			if cur != nil {
				msgs = append(msgs, bytes.TrimSuffix(cur, []byte("\r\n")))
			}
			cur = []byte{}
			continue
		}
		if len(l) > 0 && l[0] == '>' && bytes.HasPrefix(bytes.TrimLeft(l, ">"), []byte("From ")) {
			l = l[1:]
		}
		cur = append(append(cur, l...), '\r', '\n')
	}
	if cur != nil {
		msgs = append(msgs, bytes.TrimSuffix(cur, []byte("\r\n")))
	}
	return msgs
}

// plainIMAP is a minimal IMAP client for servers in clear on loopback.
type plainIMAP struct {
	c   net.Conn
	br  *bufio.Reader
	tag int
}

func dialPlain(t *testing.T, addr, user, pass string) *plainIMAP {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	p := &plainIMAP{c: c, br: bufio.NewReaderSize(c, 1<<20)}
	p.br.ReadString('\n')
	p.untagged(t, "LOGIN "+user+` "`+pass+`"`)
	p.untagged(t, "SELECT INBOX")
	return p
}

// untagged runs a command and returns its untagged responses, one per
// line; a tagged status other than OK fails the test.
func (p *plainIMAP) untagged(t *testing.T, cmd string) string {
	t.Helper()
	p.tag++
	tag := fmt.Sprintf("t%d", p.tag)
	fmt.Fprintf(p.c, "%s %s\r\n", tag, cmd)
	return p.read(t, tag)
}

func (p *plainIMAP) read(t *testing.T, tag string) string {
	t.Helper()
	var out []string
	for {
		l, err := p.br.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		l = strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				t.Fatalf("%s", l)
			}
			return strings.Join(out, "\n")
		}
		if strings.HasPrefix(l, "* SORT") || strings.HasPrefix(l, "* THREAD") {
			out = append(out, l)
		}
	}
}

func (p *plainIMAP) append(t *testing.T, msg []byte) {
	t.Helper()
	p.tag++
	tag := fmt.Sprintf("a%d", p.tag)
	fmt.Fprintf(p.c, "%s APPEND INBOX {%d+}\r\n%s\r\n", tag, len(msg), msg)
	p.read(t, tag)
}

// startDovecot runs a private Dovecot (bench/lib/dovecot.sh) on free
// loopback ports and returns a session of its user bench1, INBOX
// selected.
func startDovecot(t *testing.T, root, state string) *plainIMAP {
	ports := make([]string, 3)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, ports[i], _ = net.SplitHostPort(l.Addr().String())
		l.Close()
	}
	env := []string{"DOVECOT_STATE=" + state, "DOVECOT_IMAP=" + ports[0], "DOVECOT_POP3=" + ports[1],
		"DOVECOT_LMTP=" + ports[2], "DOVECOT_USERS=1"}
	script := filepath.Join(root, "bench/lib/dovecot.sh")
	// The daemon keeps the script's stdout: a file, not a pipe that
	// would never close.
	logf, err := os.Create(state + ".log")
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	start := exec.Command("bash", script, "start")
	start.Dir, start.Env, start.Stdout, start.Stderr = root, append(os.Environ(), env...), logf, logf
	if err := start.Run(); err != nil {
		out, _ := os.ReadFile(state + ".log")
		t.Fatalf("dovecot: %v %s", err, out)
	}
	t.Cleanup(func() { runIn(root, env, "bash", script, "stop") })
	c, err := net.Dial("tcp", "127.0.0.1:"+ports[0])
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	return dialPlain(t, "127.0.0.1:"+ports[0], "bench1", "pass")
}
