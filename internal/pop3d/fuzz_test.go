package pop3d

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Command
		err  error
	}{
		{"STAT", Command{Name: "STAT"}, nil},
		{"stat", Command{Name: "STAT"}, nil},
		{"RETR 1", Command{Name: "RETR", Args: []string{"1"}}, nil},
		{"TOP 1  10 ", Command{Name: "TOP", Args: []string{"1", "10"}}, nil},
		{"PASS  two  spaces ", Command{Name: "PASS", Args: []string{" two  spaces "}}, nil},
		{"PASS pässwörd", Command{Name: "PASS", Args: []string{"pässwörd"}}, nil},
		{"USER \xff", Command{}, errBadArgs},
		{"PASS", Command{}, errBadArgs},
		{"PASS a\tb", Command{}, errBadArgs},
		{"", Command{}, errEmptyLine},
		{"   ", Command{}, errEmptyLine},
		{"ST", Command{}, errBadKeyword},
		{"STATS", Command{}, errBadKeyword},
		{"ST1T", Command{}, errBadKeyword},
		{" STAT", Command{}, errBadKeyword},
		{"LIST 1 2 3 4 5 6 7 8 9", Command{}, errBadArgs},
	} {
		got, err := ParseCommand(tc.line)
		if err != tc.err || got.Name != tc.want.Name || strings.Join(got.Args, "|") != strings.Join(tc.want.Args, "|") {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, %v", tc.line, got, err, tc.want, tc.err)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "1": 1, "007": 7, "999999999": 999999999} {
		if n, ok := parseNumber(s); !ok || n != want {
			t.Errorf("parseNumber(%q) = %d, %v", s, n, ok)
		}
	}
	for _, s := range []string{"", "-1", "+1", "1e3", "0x1", "1000000000", " 1"} {
		if _, ok := parseNumber(s); ok {
			t.Errorf("parseNumber(%q) accepted", s)
		}
	}
}

// FuzzParseCommand: the parser never panics, and what it accepts is a
// 3-4 letter upper-case keyword with printable arguments.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"STAT", "RETR 1", "TOP 1 0", "PASS a b", "AUTH PLAIN =", "USER x@y", "", "\x00", "LIST 99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		if len(cmd.Name) < 3 || len(cmd.Name) > 4 || strings.ToUpper(cmd.Name) != cmd.Name {
			t.Fatalf("keyword %q", cmd.Name)
		}
		if len(cmd.Args) > maxArgs {
			t.Fatalf("%d args", len(cmd.Args))
		}
		for _, a := range cmd.Args {
			if a == "" && cmd.Name != "PASS" {
				t.Fatalf("empty argument in %+v", cmd)
			}
			if !printable(a, cmd.Name == "PASS") {
				t.Fatalf("argument %q not printable", a)
			}
		}
	})
}

// stuff runs raw through the stuffer in chunks of n bytes.
func stuff(raw []byte, n int) ([]byte, int64) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	s := newStuffer(w)
	for len(raw) > 0 {
		k := min(n, len(raw))
		s.Write(raw[:k])
		raw = raw[k:]
	}
	s.end()
	w.Flush()
	return out.Bytes(), s.n
}

// FuzzStuffer: whatever the chunking, the stuffer counts the octets it
// sends, which un-stuffed are exactly msgmeta.WireSize (the size LIST
// announces, RFC 1939 §11), only CRLF line endings, no line that is a
// lone "." and it un-stuffs to the message.
func FuzzStuffer(f *testing.F) {
	for _, s := range []string{"", "a", ".\r\n", "a\r", "x\ny\r\n.z", "\r\r\n.\n", "..\r"} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, raw []byte, chunk uint8) {
		out, n := stuff(raw, int(chunk)+1)
		if n != int64(len(out)) {
			t.Fatalf("%q: sent %d octets, counted %d", raw, len(out), n)
		}
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("%q: output %q does not end in CRLF", raw, out)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
		var back []string
		unstuffed := int64(len(out))
		for _, l := range lines {
			if strings.Contains(l, "\n") || l == "." {
				t.Fatalf("%q: bad line %q in %q", raw, l, out)
			}
			if strings.HasPrefix(l, ".") {
				l = l[1:]
				unstuffed--
			}
			back = append(back, l)
		}
		if unstuffed != msgmeta.WireSize(raw) {
			t.Fatalf("%q: %d octets un-stuffed, WireSize %d", raw, unstuffed, msgmeta.WireSize(raw))
		}
		if len(out) == 0 {
			back = nil
		}
		// The lines of the message: split at LF, one CR before each line
		// end dropped (and at the very end).
		var want []string
		if len(raw) > 0 {
			want = strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
			for i := range want {
				want[i] = strings.TrimSuffix(want[i], "\r")
			}
		}
		if strings.Join(back, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%q: un-stuffed %q, want %q", raw, back, want)
		}
	})
}

func TestTop(t *testing.T) {
	msg := "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3"
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "A: 1\r\nB: 2\r\n\r\n"},
		{2, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n"},
		{3, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n"},
		{9, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n"},
	} {
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		s := newStuffer(w)
		if err := copyTop(s, strings.NewReader(msg), tc.n); err != nil {
			t.Fatal(err)
		}
		s.end()
		w.Flush()
		if out.String() != tc.want {
			t.Errorf("TOP %d = %q, want %q", tc.n, out.String(), tc.want)
		}
	}
	// A header only (no empty line), and a header line longer than the
	// reader's buffer.
	long := "X: " + strings.Repeat("y", 40000) + "\r\nZ: 1\r\n"
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	s := newStuffer(w)
	copyTop(s, strings.NewReader(long), 0)
	s.end()
	w.Flush()
	if out.String() != long {
		t.Errorf("header-only TOP: %d octets, want %d", out.Len(), len(long))
	}
}
