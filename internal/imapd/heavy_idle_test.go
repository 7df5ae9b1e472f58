package imapd

import (
	"bufio"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/inflate"
)

// goMemory is the Go heap and stacks in use after a collection, in bytes.
func goMemory() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// idleClient logs in, runs COMPRESS DEFLATE when compress is set, selects
// INBOX and starts IDLE; it returns the bare connection, the client's
// reader and writer dropped, so that what stays in the process for it is
// the server's session (and a socket).
func idleClient(t *testing.T, addr string, compress bool) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	r := bufio.NewReader(c)
	write := func(s string) { io.WriteString(c, s) }
	until := func(prefix string) {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %q: %v", prefix, err)
			}
			if strings.HasPrefix(l, prefix) {
				if strings.HasPrefix(prefix, "a") && !strings.HasPrefix(l[len(prefix):], "OK") {
					t.Fatalf("%q", l)
				}
				return
			}
		}
	}
	until("* OK")
	write("a1 LOGIN " + testUser + ` "` + testPass + "\"\r\n")
	until("a1 ")
	if compress {
		write("a2 COMPRESS DEFLATE\r\n")
		until("a2 ")
		r = bufio.NewReader(inflate.NewReader(c))
		// The commands go as stored blocks (RFC 1951 §3.2.4): valid
		// DEFLATE without a compressor on this side.
		write = func(s string) { writeStored(c, []byte(s)) }
	}
	write("a3 SELECT INBOX\r\n")
	until("a3 ")
	write("a4 IDLE\r\n")
	until("+ ")
	c.SetDeadline(time.Time{})
	return c
}

// TestHeavyIdleMemory: 2,000 sessions in IDLE, without and with COMPRESS
// DEFLATE, cost the server a bounded amount of Go memory each (README
// "Memory": no buffers while idle, no compressor, the inflater's window
// only). The figure counts the heap and stacks of the whole process after
// a collection: the server's sessions and goroutines, and the client's
// sockets, which are small.
func TestHeavyIdleMemory(t *testing.T) {
	if os.Getenv("PETREL_HEAVY") != "1" {
		t.Skip("PETREL_HEAVY=1 runs 2,000 IDLE sessions")
	}
	const n = 2000
	for _, tc := range []struct {
		name     string
		compress bool
		maxKiB   int64
	}{
		// Measured: 13.5 and 14.6 KiB (5.5 KiB of heap, 8 KiB of the
		// session goroutine's stack; docs/benchmarks.md "Memory (issue
		// 21)"). The bounds leave room for a busier heap.
		{"plain", false, 24},
		{"compress", true, 28},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config, _ *Deps) { c.MaxConnectionsPerIP = 2 * n })
			e.deliver("", testMessage("one", "x"), 0)
			// One session first: the first login and SELECT fill caches
			// (the mailbox index, the login cache) that do not grow with
			// the sessions.
			warm := idleClient(t, e.addr, tc.compress)
			defer warm.Close()
			before := goMemory()
			conns := make([]net.Conn, n)
			for i := range conns {
				conns[i] = idleClient(t, e.addr, tc.compress)
			}
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			time.Sleep(time.Second)
			per := (goMemory() - before) / n
			t.Logf("%d IDLE sessions (%s): %.1f KiB of Go heap and stacks each", n, tc.name, float64(per)/1024)
			if per > tc.maxKiB<<10 {
				t.Errorf("%d IDLE sessions (%s) took %.1f KiB each, want under %d KiB", n, tc.name, float64(per)/1024, tc.maxKiB)
			}
			// The sessions are alive: a delivery reaches one.
			e.deliver("", testMessage("two", "y"), 0)
			c := conns[n-1]
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			var src io.Reader = c
			if tc.compress {
				src = inflate.NewReader(c)
			}
			r := bufio.NewReader(src)
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("the last IDLE session heard nothing of a delivery: %v", err)
				}
				if strings.HasSuffix(l, " EXISTS\r\n") {
					break
				}
			}
		})
	}
}
