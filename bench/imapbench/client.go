package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// client is a minimal IMAP client on a raw connection: it writes commands
// and reads responses as bytes, so that its own cost is the same small one
// against every server and the timings are the servers'.
type client struct {
	c    net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	next int
	// status is the last tagged response (APPENDUID, COPYUID).
	status []byte
}

// loopbackOnly refuses anything but a loopback host.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: loopback addresses only", addr)
	}
	return nil
}

// dial connects to addr (from the loopback source address src, when
// set) and reads the greeting.
func dial(addr, src string) (*client, error) {
	if err := loopbackOnly(addr); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 30 * time.Second}
	if src != "" {
		ip := net.ParseIP(src)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("source %s: loopback addresses only", src)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cl := &client{c: c, br: bufio.NewReaderSize(c, 64<<10), bw: bufio.NewWriterSize(c, 64<<10)}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := cl.readResponse()
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("* OK")) && !bytes.HasPrefix(line, []byte("* PREAUTH")) {
		c.Close()
		return nil, fmt.Errorf("greeting: %q", line)
	}
	return cl, nil
}

func (c *client) close() { c.c.Close() }

// readResponse reads one response line with the literals it announces
// (their octets inline), without the final CRLF.
func (c *client) readResponse() ([]byte, error) {
	var out []byte
	for {
		line, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			out = append(out, line...)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, line...)
		n, ok := literalAt(out)
		if !ok {
			return bytes.TrimRight(out, "\r\n"), nil
		}
		start := len(out)
		out = append(out, make([]byte, n)...)
		if _, err := ioReadFull(c.br, out[start:]); err != nil {
			return nil, err
		}
	}
}

// literalAt returns n when line ends with "{n}\r\n" (or "{n+}", "~{n}").
func literalAt(line []byte) (int, bool) {
	l := bytes.TrimRight(line, "\r\n")
	if len(l) < 3 || l[len(l)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(string(l[i+1:len(l)-1]), "+"))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *client) tag() string {
	c.next++
	return "b" + strconv.Itoa(c.next)
}

// run sends one command and reads until its tagged response; untagged
// responses go to each (which may be nil). It fails unless the status is OK.
func (c *client) run(cmd string, each func(resp []byte)) error {
	tag := c.tag()
	c.bw.WriteString(tag + " " + cmd + "\r\n")
	if err := c.bw.Flush(); err != nil {
		return err
	}
	return c.wait(tag, cmd, each)
}

// wait reads responses until the tagged one for tag.
func (c *client) wait(tag, cmd string, each func(resp []byte)) error {
	prefix := []byte(tag + " ")
	for {
		resp, err := c.readResponse()
		if err != nil {
			return fmt.Errorf("%s: %w", firstWord(cmd), err)
		}
		if bytes.HasPrefix(resp, prefix) {
			c.status = resp
			if !bytes.HasPrefix(resp[len(prefix):], []byte("OK")) {
				return fmt.Errorf("%s: %s", firstWord(cmd), resp)
			}
			return nil
		}
		if each != nil {
			each(resp)
		}
	}
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// quote makes an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (c *client) login(user, pass string) error {
	return c.run("LOGIN "+quote(user)+" "+quote(pass), nil)
}

// selectInfo is what a SELECT told.
type selectInfo struct {
	exists        int
	highestModSeq uint64
}

func (c *client) selectBox(args string) (selectInfo, error) {
	var si selectInfo
	err := c.run("SELECT INBOX"+args, func(r []byte) {
		s := string(r)
		if n, ok := strings.CutSuffix(s, " EXISTS"); ok {
			si.exists, _ = strconv.Atoi(strings.TrimPrefix(n, "* "))
		}
		if _, rest, ok := strings.Cut(s, "[HIGHESTMODSEQ "); ok {
			v, _, _ := strings.Cut(rest, "]")
			si.highestModSeq, _ = strconv.ParseUint(v, 10, 64)
		}
	})
	return si, err
}

// isFetch reports whether r is "* n FETCH ...".
func isFetch(r []byte) bool {
	if !bytes.HasPrefix(r, []byte("* ")) {
		return false
	}
	i := bytes.IndexByte(r[2:], ' ')
	return i > 0 && bytes.HasPrefix(r[2+i:], []byte(" FETCH "))
}

// countUIDs counts the numbers of a "* SEARCH ..." response.
func countUIDs(r []byte) int {
	if !bytes.HasPrefix(r, []byte("* SEARCH")) {
		return -1
	}
	return len(bytes.Fields(r)) - 2
}
