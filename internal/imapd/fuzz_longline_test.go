package imapd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

// outConn is a memConn that keeps what the server writes.
type outConn struct {
	memConn
	out testkit.LogBuffer
}

func (c *outConn) Write(p []byte) (int, error) { return c.out.Write(p) }

// Literal announcement forms of FuzzLongLineLiteral.
const (
	formNonSync = iota // {n+} (RFC 7888)
	formBinary         // ~{n+} (RFC 3516)
	formSync           // {n}, sent only when the server must refuse the line
	formNone           // no literal
	formCount
)

// FuzzLongLineLiteral sends, logged in, a command line of fuzzed length
// and content around the line limit that ends in a literal of canary
// commands, then two commands. The canary must never run, and every
// command gets exactly one tagged reply (issue 11, must-fix 1 and 2).
func FuzzLongLineLiteral(f *testing.F) {
	// pad: octets of the line; form: formNonSync..formNone; zeros: leading
	// zeros of the literal size; canaries: literal lines; small: the
	// server with the 1000-octet limit, else 9000.
	f.Add([]byte("x"), uint16(65000), uint8(formNonSync), uint16(0), uint8(1), false)
	f.Add([]byte("x"), uint16(1100), uint8(formNonSync), uint16(0), uint8(3), true)
	f.Add([]byte("\\Seen "), uint16(9500), uint8(formBinary), uint16(0), uint8(1), false)
	f.Add([]byte("x"), uint16(9500), uint8(formNonSync), uint16(40), uint8(2), false)
	f.Add([]byte("x"), uint16(12000), uint8(formSync), uint16(0), uint8(1), false)
	f.Add([]byte("x"), uint16(990), uint8(formNonSync), uint16(0), uint8(1), true)
	f.Add([]byte("x"), uint16(1500), uint8(formNone), uint16(0), uint8(0), true)
	f.Add([]byte("x"), uint16(4090), uint8(formNone), uint16(0), uint8(0), true)
	f.Add([]byte("{9+}\r"), uint16(9000), uint8(formNonSync), uint16(0), uint8(1), false)
	f.Add([]byte("\\Seen"), uint16(100), uint8(formNonSync), uint16(0), uint8(1), false)
	// The announcement begins in the part of the line kept (before the
	// third 4 KiB read) and the limit falls inside it, after 820 zeros.
	f.Add([]byte("x"), uint16(8188), uint8(formNonSync), uint16(820), uint8(2), false)
	envs := map[bool]*env{
		true:  newEnv(f, func(c *Config, _ *Deps) { c.MaxLineLength = 1000 }),
		false: newEnv(f, func(c *Config, _ *Deps) { c.MaxLineLength = 9000 }),
	}
	f.Fuzz(func(t *testing.T, pad []byte, size uint16, form uint8, zeros uint16, canaries uint8, small bool) {
		e := envs[small]
		form %= formCount
		canaries %= 8
		zeros %= 2048
		if len(pad) == 0 {
			pad = []byte("x")
		}
		// The line: the literal is where APPEND expects its message.
		line := []byte("t1 APPEND INBOX (")
		for len(line) < int(size) {
			for _, c := range pad {
				if c == '\r' || c == '\n' {
					c = 'x'
				}
				line = append(line, c)
			}
		}
		line = append(line[:max(int(size), 17)], ") "...)
		lit := strings.Repeat("y1 NOOP\r\n", int(canaries))
		n := strings.Repeat("0", int(zeros)) + itoa(len(lit))
		// Over the limit, CRLF included, as the server counts.
		over := len(line)+len("{"+n+"}\r\n") > e.srv.cfg.MaxLineLength
		switch form {
		case formNonSync:
			line = append(line, "{"+n+"+}\r\n"+lit...)
		case formBinary:
			line = append(line, "~{"+n+"+}\r\n"+lit...)
		case formSync:
			if !over {
				return // the server would ask for it: not this test
			}
			line = append(line, "{"+n+"}\r\n"...)
		default:
			line = append(line, "\r\n"...)
		}
		in := []byte("a LOGIN " + testUser + ` "` + testPass + "\"\r\n")
		in = append(in, line...)
		if form == formNonSync || form == formBinary {
			in = append(in, "\r\n"...) // ends the command after the literal
		}
		in = append(in, "z1 NOOP\r\nz2 LOGOUT\r\n"...)
		c := &outConn{memConn: memConn{r: bytes.NewReader(in)}}
		runSession(t, e.srv, c)
		replies := map[string]int{}
		for l := range strings.SplitSeq(c.out.String(), "\r\n") {
			tag, _, _ := strings.Cut(l, " ")
			replies[tag]++
			if tag == "*" && strings.HasPrefix(l, "* BAD") {
				t.Errorf("untagged BAD: %q", l)
			}
		}
		if replies["y1"] != 0 {
			t.Errorf("the literal ran as commands:\n%s", c.out.String())
		}
		for _, tag := range []string{"a", "t1", "z1", "z2"} {
			if replies[tag] != 1 {
				t.Errorf("%d replies to %s:\n%.2000s", replies[tag], tag, c.out.String())
			}
		}
	})
}
