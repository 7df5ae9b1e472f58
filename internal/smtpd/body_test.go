package smtpd

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The smuggling vectors of RFC 5321 §4.1.1.4 / §4.5.2: none ends DATA; a
// smuggled transaction after them stays message content, normalised.
func TestSmugglingVectors(t *testing.T) {
	smuggled := "MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@mx.test>\r\nDATA\r\nspoofed\r\n"
	cases := []struct{ vector, stored string }{
		{"\n.\n", "\r\n.\r\n"},
		{"\n.\r\n", "\r\n.\r\n"},
		{"\r\n.\n", "\r\n\r\n"},
		{"\r.\r", "\r\n.\r\n"},
		{"\r.\r\n", "\r\n.\r\n"},
		{"\r\n.\r", "\r\n\r\n"},
	}
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	for i, v := range cases {
		c.transaction("a@example.org", "b@mx.test")
		got := c.data("text" + v.vector + smuggled + ".\r\n")
		if !strings.HasPrefix(got[0], "250 2.0.0") {
			t.Fatalf("%q: %q", v.vector, got)
		}
		msgs := ts.d.messages()
		if len(msgs) != i+1 {
			t.Fatalf("%q: %d messages, want %d", v.vector, len(msgs), i+1)
		}
		if want := "text" + v.stored + smuggled; string(msgs[i].body) != want {
			t.Errorf("%q: stored %q, want %q", v.vector, msgs[i].body, want)
		}
		if msgs[i].env.From.String() != "a@example.org" || len(msgs[i].env.Recipients) != 1 {
			t.Errorf("%q: envelope %+v", v.vector, msgs[i].env)
		}
	}
}

func TestDotUnstuffingByteExact(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.data("..\r\n...x\r\n.y\r\n a.\r\n\r\n.\r\n")
	want := ".\r\n..x\r\ny\r\n a.\r\n\r\n"
	if m := ts.d.messages(); len(m) != 1 || string(m[0].body) != want {
		t.Fatalf("stored %q, want %q", m[0].body, want)
	}
	c.transaction("a@example.org", "b@mx.test")
	c.data(".\r\n") // empty message
	if m := ts.d.messages(); len(m) != 2 || len(m[1].body) != 0 {
		t.Fatalf("empty message: %q", m[1].body)
	}
}

func TestNULRejected(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	if got := c.data("a\x00b\r\n.\r\n"); !strings.HasPrefix(got[0], "554 5.6.0") {
		t.Fatalf("NUL: %q", got)
	}
	c.cmd("NOOP", "250 ")
	c.transaction("a@example.org", "b@mx.test")
	c.data("ok\r\n.\r\n")
	if m := ts.d.messages(); len(m) != 1 || string(m[0].body) != "ok\r\n" {
		t.Fatalf("messages %v", m)
	}
	if !strings.Contains(ts.logs.String(), "message rejected") {
		t.Fatal("no log line for the rejected message")
	}
}

func TestLargeBodySpillsToFile(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 4 << 20
	cfg.SpoolDir = t.TempDir()
	ts := start(t, cfg, nil)
	line := strings.Repeat("0123456789", 7) + "\r\n"
	n := (memoryLimit + 100000) / len(line)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.data(strings.Repeat(line, n) + ".\r\n")
	m := ts.d.messages()
	if len(m) != 1 || !bytes.Equal(m[0].body, []byte(strings.Repeat(line, n))) || !m[0].fromFile {
		t.Fatal("large body differs or was not spooled to a file")
	}
	if left, _ := os.ReadDir(cfg.SpoolDir); len(left) != 0 {
		t.Fatalf("spool files left: %v", left)
	}
	c.cmd("QUIT", "221 ")
}

func TestBDAT(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.Send("BDAT 7\r\nline1\r\nBDAT 9\r\n.\r\nline2\nBDAT 0 LAST\r\n")
	c.expect("250 2.0.0 7 octets")
	c.expect("250 2.0.0 9 octets")
	c.expect("250 2.0.0 OK: queued")
	c.transaction("a@example.org", "b@mx.test")
	c.cmd("BDAT 0 LAST", "250 2.0.0 OK") // an empty message
	c.transaction("a@example.org", "b@mx.test")
	c.Send("BDAT 3 LAST\r\nx\ry")
	c.expect("250 2.0.0 OK")
	m := ts.d.messages()
	if len(m) != 3 || string(m[0].body) != "line1\r\n.\r\nline2\r\n" || len(m[1].body) != 0 || string(m[2].body) != "x\r\ny" {
		t.Fatalf("%d messages: %v", len(m), m)
	}
}

func TestBDATErrors(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	// Without MAIL the chunk is read and dropped.
	c.Send("BDAT 6\r\nQUIT\r\n")
	c.expect("503 5.5.1")
	c.transaction("a@example.org", "b@mx.test")
	c.Send("BDAT 4\r\nabcd")
	c.expect("250 ")
	c.cmd("DATA", "503 5.5.1") // no DATA after BDAT
	c.cmd("RSET", "250 ")
	// Over the limit: refused at once; the chunks still in the pipeline
	// are read and answered 503.
	big := strings.Repeat("y", 6000)
	c.transaction("a@example.org", "b@mx.test")
	c.Send("BDAT 6000\r\n" + big + "BDAT 6000\r\n" + big + "BDAT 6 LAST\r\nQUIT\r\n")
	c.expect("250 ")
	c.expect("552 5.3.4")
	c.expect("503 5.5.1")
	c.cmd("NOOP", "250 ")
	// NUL in a chunk.
	c.transaction("a@example.org", "b@mx.test")
	c.Send("BDAT 3 LAST\r\na\x00b")
	c.expect("554 5.6.0")
	// No accepted recipient.
	c.cmd("MAIL FROM:<a@example.org>", "250 ")
	c.Send("BDAT 2 LAST\r\nab")
	c.expect("554 5.5.1")
	c.cmd("BDAT x", "501 5.5.4")
	if m := ts.d.messages(); len(m) != 0 {
		t.Fatalf("messages %v", m)
	}
}

// syscw is the process's count of write system calls (/proc/self/io).
func syscw(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io")
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "syscw: "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Skip("no syscw in /proc/self/io")
	return 0
}

// TestSpooledBodyWritesInBlocks: a body past memoryLimit goes to its file
// in blocks of memoryLimit, not in the pieces the DATA reader writes (a
// line and its CRLF apart): 20 MB written 72 octets at a time takes a few
// hundred write calls, not 280,000 (a 50 MB message cost 2.9 s of CPU in
// write calls; docs/benchmarks.md, "Memory (issue 21)"). The file holds
// every octet in order.
func TestSpooledBodyWritesInBlocks(t *testing.T) {
	b := &body{dir: t.TempDir()}
	defer b.reset()
	line := []byte(strings.Repeat("0123456789", 7) + "\r\n")
	const n = 20_000_000 / 72
	calls := syscw(t)
	for i := range n {
		line[0] = byte('a' + i%26)
		if _, err := b.Write(line[:70]); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Write(line[70:]); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
	calls = syscw(t) - calls
	if b.file == nil {
		t.Fatal("the body was not spooled")
	}
	if limit := 2 * n * len(line) / memoryLimit; calls > limit+50 {
		t.Errorf("%d octets took %d write calls, want at most about %d", n*len(line), calls, limit)
	}
	got, err := io.ReadAll(b.reader())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n*len(line) || int64(len(got)) != b.size {
		t.Fatalf("read back %d octets (size %d), want %d", len(got), b.size, n*len(line))
	}
	for i := range n {
		if l := got[i*len(line) : (i+1)*len(line)]; l[0] != byte('a'+i%26) || !bytes.Equal(l[1:], line[1:]) {
			t.Fatalf("line %d read back as %q", i, l)
		}
	}
}
