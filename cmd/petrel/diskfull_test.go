package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestServeDiskFull runs `petrel serve` with its data directory on a
// 16 MiB tmpfs (root only, PETREL_HEAVY=1) and fills it over SMTP: the
// message that does not fit is answered 452 4.3.1 with a reference (not
// 451 4.3.0); IMAP can still flag and expunge everything (the deletion
// reserve); once the expunge has freed the disk, mail is accepted again;
// and with the disk filled by another program, MAIL with a SIZE larger
// than the free space is refused at once (RFC 1870 §6.1).
func TestServeDiskFull(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=16m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(disk, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	smtpAddr, imapAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	dir := t.TempDir()
	e := &env{t: t, dir: dir, config: filepath.Join(dir, "petrel.toml"), dataDir: filepath.Join(disk, "data")}
	cfg := fmt.Sprintf("hostname = \"mail.example.org\"\ndata_dir = %q\n[listen]\nhttp = []\nsmtp = [%q]\n"+
		"submission = []\nsubmissions = []\nimap = [%q]\nimaps = []\npop3 = []\npop3s = []\n"+
		"[tls]\nallow_insecure_auth = true\n[smtp]\nverify_senders = false\n"+
		"[storage]\nmin_free_space = 0\ndeletion_reserve = \"1MiB\"\n[log]\nlevel = \"warn\"\n",
		e.dataDir, smtpAddr, imapAddr)
	if err := os.WriteFile(e.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	stderr := serveInBackground(t, e)

	body := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 300<<10/66)
	sent, last := 0, ""
	for ; sent < 200; sent++ {
		if last = smtpDeliver(t, smtpAddr, body, false); !strings.HasPrefix(last, "250 ") {
			break
		}
	}
	t.Logf("%d messages of 300 KiB accepted, then %q", sent, last)
	if !strings.HasPrefix(last, "452 4.3.1 Insufficient system storage") || !strings.Contains(last, "(ref ") {
		t.Fatalf("reply to the message that does not fit: %q, want 452 4.3.1 ... (ref ID)", last)
	}
	ref := testkit.Ref(t, last)
	if !strings.Contains(stderr.String(), "ref="+ref) {
		t.Errorf("no log line with ref=%s:\n%s", ref, stderr.String())
	}

	imap := dialIMAP(t, imapAddr)
	imap.OK("a LOGIN bob@example.org secret-pw")
	imap.OK("b SELECT INBOX")
	imap.OK("c STORE 1:* +FLAGS.SILENT (\\Deleted)")
	imap.OK("d EXPUNGE")
	imap.OK("e LOGOUT")

	// The free space is read at most once a second: within a few
	// seconds the reserve is filled again and mail accepted.
	start := time.Now()
	for last = smtpDeliver(t, smtpAddr, body, false); !strings.HasPrefix(last, "250 "); last = smtpDeliver(t, smtpAddr, body, false) {
		if !strings.HasPrefix(last, "452 4.3.1") || time.Since(start) > 10*time.Second {
			t.Fatalf("delivery after the expunge freed the disk: %q\n%s", last, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("mail accepted again %v after the expunge", time.Since(start).Round(100*time.Millisecond))
	if _, err := os.Stat(filepath.Join(e.dataDir, "deletion-reserve")); err != nil {
		t.Errorf("the deletion reserve was not filled again: %v", err)
	}

	// Another program fills the disk but for about 2 MiB.
	fillTo(t, filepath.Join(disk, "filler"), 2<<20)
	time.Sleep(1100 * time.Millisecond) // the free-space reading is cached for a second
	if last = smtpDeliver(t, smtpAddr, body, true); !strings.HasPrefix(last, "250 ") {
		t.Fatalf("300 KiB with SIZE and 2 MiB free: %q", last)
	}
	big := strings.Repeat(body, 10) // 3 MiB
	if last = smtpDeliver(t, smtpAddr, big, true); !strings.HasPrefix(last, "452 4.3.1") || !strings.Contains(last, "MAIL") {
		t.Fatalf("MAIL with SIZE over the free space: %q, want 452 4.3.1 at MAIL", last)
	}
}

// serveInBackground runs `petrel serve` in-process until the test ends
// and returns its log.
func serveInBackground(t *testing.T, e *env) *testkit.LogBuffer {
	t.Helper()
	return serveInBackgroundWith(t, e, nil)
}

// serveInBackgroundWith is serveInBackground with the app adjusted by
// tune first (nil: as it is).
func serveInBackgroundWith(t *testing.T, e *env, tune func(*app)) *testkit.LogBuffer {
	t.Helper()
	noDemoListeners(t, e.config)
	ready := make(chan []net.Addr, 1)
	stderr := &testkit.LogBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
		onReady: func(addrs []net.Addr) { ready <- addrs }}
	if tune != nil {
		tune(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"serve", "--config", e.config}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	return stderr
}

// smtpDeliver sends one message to bob@example.org, declaring its SIZE
// when size is set, and returns the first negative reply, prefixed with
// the command it answered when that was not the end of data, or the
// final 250.
func smtpDeliver(t *testing.T, addr, body string, size bool) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	reply := func() string {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(l) > 3 && l[3] == ' ' {
				return strings.TrimSuffix(l, "\r\n")
			}
		}
	}
	msg := "From: a@example.net\r\nTo: bob@example.org\r\nSubject: fill\r\n\r\n" + body
	mail := "MAIL FROM:<a@example.net>"
	if size {
		mail += fmt.Sprintf(" SIZE=%d", len(msg))
	}
	reply()
	for _, cmd := range []string{"EHLO client.example.net", mail, "RCPT TO:<bob@example.org>", "DATA"} {
		fmt.Fprintf(c, "%s\r\n", cmd)
		if l := reply(); l[0] != '2' && l[0] != '3' {
			return l + " (to " + strings.Fields(cmd)[0] + ")"
		}
	}
	fmt.Fprintf(c, "%s.\r\n", msg)
	l := reply()
	fmt.Fprintf(c, "QUIT\r\n")
	return l
}

// dialIMAP connects to an IMAP server and reads its greeting.
func dialIMAP(t *testing.T, addr string) *testkit.IMAP {
	t.Helper()
	c := &testkit.IMAP{Conn: testkit.Dial(t, addr)}
	c.Timeout = 30 * time.Second
	c.Expect("* OK")
	return c
}

// fillTo writes a file at path until the filesystem has about keep
// octets left.
func fillTo(t *testing.T, path string, keep int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	n := int64(st.Bavail)*int64(st.Bsize) - keep
	if n <= 0 {
		return
	}
	err := os.WriteFile(path, make([]byte, n), 0o600)
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
}
