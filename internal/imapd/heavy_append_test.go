package imapd

import (
	"bufio"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bigMessage writes a multipart message of about size octets with a
// base64 attachment, without holding it.
func bigMessage(w io.Writer, size int) int {
	head := "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: big\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	tail := "--b--\r\n"
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	lines := (size - len(head) - len(tail)) / len(line)
	if w != nil {
		io.WriteString(w, head)
		for range lines {
			io.WriteString(w, line)
		}
		io.WriteString(w, tail)
	}
	return len(head) + lines*len(line) + len(tail)
}

// rssKiB reads a field (VmRSS, VmHWM) of /proc/self/status, in KiB.
func rssKiB(t *testing.T, field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// TestHeavyAppendBurstMemory: 20 sessions of one account APPEND a 49 MB
// message each at once; the server's memory stays bounded during the
// burst and goes back after it (issue 11, should-fix "memory under large
// messages"; README "IMAP"). The clients stream their messages: what the
// process holds is the server's.
func TestHeavyAppendBurstMemory(t *testing.T) {
	if os.Getenv("PETREL_HEAVY") == "" {
		t.Skip("PETREL_HEAVY=1 runs the 20 x 49 MB APPEND burst")
	}
	const clients, size = 20, 49_000_000
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxMessageSize = 50_000_000 })
	before, beforeAnon := rssKiB(t, "VmRSS"), rssKiB(t, "RssAnon")
	// The peak of anonymous memory (heap, stacks) during the burst; the
	// pages of mapped files (msgmeta.ParseFile) are page cache.
	var peakAnon int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peakAnon = max(peakAnon, rssKiB(t, "RssAnon"))
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	n := bigMessage(nil, size)
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			c, err := net.Dial("tcp", e.addr)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Minute))
			br := bufio.NewReader(c)
			br.ReadString('\n')
			io.WriteString(c, "a LOGIN "+testUser+` "`+testPass+"\"\r\n")
			if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "a OK") {
				errs <- "login: " + l
				return
			}
			io.WriteString(c, "b APPEND INBOX {"+strconv.Itoa(n)+"}\r\n")
			if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "+") {
				errs <- "APPEND: " + l
				return
			}
			bw := bufio.NewWriterSize(c, 64<<10)
			bigMessage(bw, size)
			bw.WriteString("\r\n")
			bw.Flush()
			for {
				l, err := br.ReadString('\n')
				if err != nil || strings.HasPrefix(l, "b ") {
					if !strings.HasPrefix(l, "b OK") {
						errs <- "client " + strconv.Itoa(i) + ": " + l
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	took := time.Since(start)
	peak := rssKiB(t, "VmHWM")
	time.Sleep(5 * time.Second)
	after := rssKiB(t, "VmRSS")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d x %d octets in %v: RSS before %d MiB, peak %d MiB (anonymous %d MiB, from %d), 5 s after %d MiB; heap in use %d MiB",
		clients, n, took.Round(time.Millisecond), before>>10, peak>>10, peakAnon>>10, beforeAnon>>10, after>>10, ms.HeapInuse>>20)
	// Bounds with a wide margin over the figures in README "IMAP": about
	// 2 MiB of buffers per session in flight, nothing kept after.
	if peakAnon-beforeAnon > 256<<10 {
		t.Errorf("anonymous memory grew by %d MiB during the burst", (peakAnon-beforeAnon)>>10)
	}
	if after-before > 128<<10 {
		t.Errorf("RSS 5 s after the burst is %d MiB over the %d MiB before it", (after-before)>>10, before>>10)
	}
}
