package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// runData feeds in to a DATA reader in pieces of step octets and returns
// the output, how many octets were used, and whether the terminator came.
func runData(in string, step int, max int64) (out string, used int, done bool, z *msgReader) {
	var b bytes.Buffer
	z = newMsgReader(&b, max, true)
	for used < len(in) && !done {
		end := min(used+step, len(in))
		n, d := z.feed([]byte(in[used:end]))
		used += n
		done = d
	}
	return b.String(), used, done, z
}

func TestDataReader(t *testing.T) {
	cases := []struct {
		name, in, out string
		done          bool
		rest          string // input left after the terminator
	}{
		{"empty message", ".\r\n", "", true, ""},
		{"simple", "a\r\nb\r\n.\r\n", "a\r\nb\r\n", true, ""},
		{"rest stays unread", "a\r\n.\r\nQUIT\r\n", "a\r\n", true, "QUIT\r\n"},
		{"dot unstuffing", "..a\r\n..\r\n...\r\n.\r\n", ".a\r\n.\r\n..\r\n", true, ""},
		{"dot mid-line kept", "a.b\r\n a.\r\n.\r\n", "a.b\r\n a.\r\n", true, ""},
		{"first line dot-stuffed", ".x\r\n.\r\n", "x\r\n", true, ""},
		{"bare LF dot LF", "a\n.\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", true, ""},
		{"bare LF dot CRLF", "a\n.\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", true, ""},
		{"CRLF dot bare LF", "a\r\n.\nb\r\n.\r\n", "a\r\n\r\nb\r\n", true, ""},
		{"bare CR dot bare CR", "a\r.\rb\r\n.\r\n", "a\r\n.\r\nb\r\n", true, ""},
		{"CRLF dot bare CR", "a\r\n.\rb\r\n.\r\n", "a\r\n\r\nb\r\n", true, ""},
		{"CR CR LF", "a\r\r\nb\r\n.\r\n", "a\r\n\r\nb\r\n", true, ""},
		{"bare LF at start", "\n.\r\n.\r\n", "\r\n.\r\n", true, ""},
		{"dot CR CR LF", ".\r\r\n.\r\n", "\r\n\r\n", true, ""},
		{"no terminator", "a\r\n.\n", "a\r\n\r\n", false, ""},
		{"dot space is not the end", ". \r\n.\r\n", " \r\n", true, ""},
		{"8bit kept", "caf\xc3\xa9\r\n.\r\n", "caf\xc3\xa9\r\n", true, ""},
	}
	for _, c := range cases {
		for _, step := range []int{1, 2, 3, 1 << 20} {
			out, used, done, _ := runData(c.in, step, 1<<20)
			if out != c.out || done != c.done || c.in[used:] != c.rest {
				t.Errorf("%s (step %d): got %q done=%v rest=%q, want %q done=%v rest=%q",
					c.name, step, out, done, c.in[used:], c.out, c.done, c.rest)
			}
		}
	}
}

func TestDataReaderNULAndLimit(t *testing.T) {
	_, _, done, z := runData("a\x00b\r\n.\r\n", 1, 100)
	if !done || !z.nul || z.over {
		t.Fatalf("NUL: done=%v nul=%v over=%v", done, z.nul, z.over)
	}
	in := strings.Repeat("x", 50) + "\r\n" + strings.Repeat("y", 50) + "\r\n.\r\n"
	out, used, done, z := runData(in, 7, 60)
	if !done || used != len(in) || !z.over || z.size != 104 || len(out) > 60 {
		t.Fatalf("limit: done=%v used=%d over=%v size=%d out=%d", done, used, z.over, z.size, len(out))
	}
	_, _, _, z = runData("0123456789\r\n.\r\n", 5, 12)
	if z.over || z.size != 12 {
		t.Fatalf("exactly at the limit: over=%v size=%d", z.over, z.size)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestDataReaderWriteErrorIsSticky(t *testing.T) {
	z := newMsgReader(failingWriter{}, 100, true)
	n, done := z.feed([]byte("a\r\nb\r\n.\r\nNOOP\r\n"))
	if !done || n != 9 || z.err == nil {
		t.Fatalf("n=%d done=%v err=%v", n, done, z.err)
	}
}

func TestChunkReader(t *testing.T) {
	cases := []struct {
		chunks []string
		out    string
	}{
		{[]string{"a\r\n.\r\n"}, "a\r\n.\r\n"}, // no dot handling
		{[]string{"a\r", "\nb"}, "a\r\nb"},     // CRLF across chunks
		{[]string{"a\r", "b\n"}, "a\r\nb\r\n"}, // bare CR, bare LF
		{[]string{"a\r"}, "a\r\n"},             // bare CR at the end
		{[]string{"..x\r\n", ""}, "..x\r\n"},
		{nil, ""},
	}
	for _, c := range cases {
		var b bytes.Buffer
		z := newMsgReader(&b, 100, false)
		for _, ch := range c.chunks {
			br := bufio.NewReaderSize(strings.NewReader(ch+"NEXT"), 16)
			if err := readChunk(br, z, int64(len(ch))); err != nil {
				t.Fatal(err)
			}
			if rest, _ := io.ReadAll(br); string(rest) != "NEXT" {
				t.Fatalf("%q: chunk reader used %q too much", c.chunks, rest)
			}
		}
		z.end()
		if b.String() != c.out {
			t.Errorf("%q: got %q, want %q", c.chunks, b.String(), c.out)
		}
	}
}

func TestReadDataFromBufio(t *testing.T) {
	in := strings.Repeat("line of text\r\n", 5000) + ".\r\nQUIT\r\n"
	br := bufio.NewReaderSize(strings.NewReader(in), 4096)
	var b bytes.Buffer
	if err := readData(br, newMsgReader(&b, 1<<20, true)); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 14*5000 {
		t.Fatalf("body %d octets", b.Len())
	}
	if rest, _ := io.ReadAll(br); string(rest) != "QUIT\r\n" {
		t.Fatalf("rest %q", rest)
	}
	if err := readData(bufio.NewReader(strings.NewReader("a\r\n")), newMsgReader(io.Discard, 10, true)); err != io.EOF {
		t.Fatalf("unterminated data: %v", err)
	}
}
