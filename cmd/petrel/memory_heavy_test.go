package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// procKiB reads a field (VmRSS, RssAnon) of /proc/PID/status, in KiB.
func procKiB(t *testing.T, pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skip("no /proc/PID/status")
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// writeLargeMessage streams a message of about size octets (a base64
// attachment, no line starting with a dot) to w.
func writeLargeMessage(w io.Writer, to string, size int) {
	bw := bufio.NewWriterSize(w, 64<<10)
	head := "From: <big@example.net>\r\nTo: <" + to + ">\r\nSubject: large\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	bw.WriteString(head)
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for range (size - len(head)) / len(line) {
		bw.WriteString(line)
	}
	bw.Flush()
}

// sendLarge sends one message of about size octets with DATA and wants
// 250 after it.
func sendLarge(addr, to string, size int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	br := bufio.NewReader(c)
	reply := func(want string) error {
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(l, want) {
				return fmt.Errorf("want %s, got %q", want, l)
			}
			if len(l) > 3 && l[3] == ' ' {
				return nil
			}
		}
	}
	if err := reply("220"); err != nil {
		return err
	}
	for _, s := range []struct{ cmd, want string }{
		{"EHLO client.example.net", "250"}, {"MAIL FROM:<big@example.net>", "250"},
		{"RCPT TO:<" + to + ">", "250"}, {"DATA", "354"},
	} {
		io.WriteString(c, s.cmd+"\r\n")
		if err := reply(s.want); err != nil {
			return fmt.Errorf("%s: %w", s.cmd, err)
		}
	}
	writeLargeMessage(c, to, size)
	io.WriteString(c, ".\r\n")
	return reply("250")
}

// TestHeavyServeLargeMessagesMemory: 20 concurrent messages just under the
// default 50 MB limit, over SMTP DATA into `petrel serve` (the binary, its
// SQLite store): the process's anonymous memory (heap, stacks) grows by
// under 64 MiB during the burst, whatever the message size (README
// "Memory": 128 KiB of a message per session in memory, the rest spooled;
// the parse maps the body file, page cache the kernel can take back).
// Measured: +13.8 and +14.3 MiB from a fresh process (its heap's first
// growth; 0.7 MiB in bench/memory.sh's warmed-up process, docs/
// benchmarks.md "Memory (issue 21)"); it was 520 MB when the parse read
// each body whole (issue 11).
func TestHeavyServeLargeMessagesMemory(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	const n, size = 20, 49_900_000
	s := newE2EServer(t, buildPetrel(t), false)
	s.cli("", "domain", "add", "example.org")
	rcpts := make([]string, n)
	for i := range rcpts {
		rcpts[i] = fmt.Sprintf("big%d@example.org", i+1)
	}
	s.addUsers(rcpts...)
	s.start()
	defer s.stop()
	pid := s.cmd.Process.Pid
	time.Sleep(2 * time.Second)
	before := procKiB(t, pid, "RssAnon")
	var peak int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak = max(peak, procKiB(t, pid, "RssAnon"))
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for _, to := range rcpts {
		wg.Go(func() {
			if err := sendLarge(s.smtp, to, size); err != nil {
				errs <- fmt.Errorf("%s: %w", to, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d x %d octets over DATA in %v: anonymous memory %d MiB before, peak %d MiB (+%.1f MiB)",
		n, size, time.Since(start).Round(time.Second), before>>10, peak>>10, float64(peak-before)/1024)
	if grew := peak - before; grew > 64<<10 {
		t.Errorf("anonymous memory grew by %d MiB during %d concurrent %d-octet messages, want under 64 MiB",
			grew>>10, n, size)
	}
}
