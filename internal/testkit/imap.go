package testkit

import (
	"fmt"
	"io"
	"strings"
)

// IMAP is an IMAP client on a line client: tagged commands, and
// responses read whole with the literals they carry.
type IMAP struct{ *Conn }

// Cmd sends a tagged command line and returns the untagged responses and
// the tagged status line.
func (c *IMAP) Cmd(line string) ([]string, string) {
	c.T.Helper()
	tag, _, _ := strings.Cut(line, " ")
	c.Send(line + "\r\n")
	return c.Until(tag)
}

// Until reads responses up to the one tagged tag, and returns the others
// and that one.
func (c *IMAP) Until(tag string) ([]string, string) {
	c.T.Helper()
	var out []string
	for {
		l := c.Response()
		if strings.HasPrefix(l, tag+" ") {
			return out, l
		}
		out = append(out, l)
	}
}

// Response reads a response line; a literal announced at its end
// ("{n}", RFC 9051 §4.3) is read into it, with the line that follows.
func (c *IMAP) Response() string {
	c.T.Helper()
	l := c.Line()
	for strings.HasSuffix(l, "}") {
		i := strings.LastIndexByte(l, '{')
		if i < 0 {
			break
		}
		var n int
		if _, err := fmt.Sscan(l[i+1:len(l)-1], &n); err != nil {
			break
		}
		buf := make([]byte, n)
		c.deadline(c.C.SetReadDeadline)
		if _, err := io.ReadFull(c.R, buf); err != nil {
			c.T.Fatal(err)
		}
		l += "\r\n" + string(buf) + c.Line()
	}
	return l
}

// OK runs a command that must end in a tagged OK, and returns its
// untagged responses.
func (c *IMAP) OK(line string) []string {
	c.T.Helper()
	u, tagged := c.Cmd(line)
	tag, _, _ := strings.Cut(line, " ")
	if !strings.HasPrefix(tagged, tag+" OK") {
		c.T.Fatalf("%s: %q (untagged %q)", line, tagged, u)
	}
	return u
}
