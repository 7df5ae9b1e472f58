package smtpclient

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Limits on what the server may send back: a reply line of more than
// maxLine octets is cut (RFC 5321 §4.5.3.1.5 allows 512), a reply of more
// than maxLines lines is an error, and of a reply's text only the lines
// within maxText octets are kept (read, not kept, past it): the text
// goes into the queue's records, the logs and the bounces, once per
// recipient.
const (
	maxLine  = 2048
	maxLines = 100
	maxText  = 4096
)

// errBadReply is a reply that does not follow RFC 5321 §4.2.
var errBadReply = errors.New("malformed reply")

// conn is one SMTP connection: buffered, with a deadline per command.
type conn struct {
	nc  net.Conn
	r   *bufio.Reader
	w   *bufio.Writer
	wto time.Duration // the timeout of each write
	// replies counts the replies read, to tell a cached connection that
	// the server had closed from a failure after it answered.
	replies int
	last    int // the code of the last reply read
}

func newConn(nc net.Conn) *conn {
	c := &conn{wto: time.Minute}
	c.reset(nc)
	return c
}

// reset puts the connection on nc (the TLS connection after STARTTLS),
// with new buffers: nothing read before the handshake is kept.
func (c *conn) reset(nc net.Conn) {
	c.nc = nc
	c.r = bufio.NewReaderSize(nc, 4096)
	c.w = bufio.NewWriterSize(deadlineWriter{nc, &c.wto}, 32*1024)
}

// queue writes a command line into the buffer (sent at the next flush).
func (c *conn) queue(line string) error {
	_, err := c.w.WriteString(line + "\r\n")
	return err
}

// flush sends what is buffered, within timeout.
func (c *conn) flush(timeout time.Duration) error {
	c.wto = timeout
	return c.w.Flush()
}

// cmd sends one command and reads its reply.
func (c *conn) cmd(line string, timeout time.Duration) (*smtpreply.Reply, error) {
	if err := c.queue(line); err != nil {
		return nil, err
	}
	if err := c.flush(timeout); err != nil {
		return nil, err
	}
	return c.reply(timeout)
}

// reply reads one reply, single- or multi-line (RFC 5321 §4.2.1), within
// timeout. The enhanced status code (RFC 2034 §4) is taken from the first
// line when it is there and of the reply's class.
func (c *conn) reply(timeout time.Duration) (*smtpreply.Reply, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	var code, kept int
	var lines []string
	for read := 0; read < maxLines; read++ {
		line, err := c.line()
		if err != nil {
			return nil, err
		}
		n, last, text, ok := parseLine(line)
		if !ok || (code != 0 && n != code) {
			return nil, fmt.Errorf("%w: %q", errBadReply, line)
		}
		code = n
		if kept += len(text) + 1; kept <= maxText || len(lines) == 0 {
			lines = append(lines, text)
		}
		if last {
			c.replies++
			c.last = code
			return buildReply(code, lines), nil
		}
	}
	return nil, fmt.Errorf("%w: more than %d lines", errBadReply, maxLines)
}

// line reads one line without its CRLF, cut at maxLine octets.
func (c *conn) line() (string, error) {
	var b []byte
	for {
		chunk, more, err := c.r.ReadLine()
		if err != nil {
			return "", err
		}
		if room := maxLine - len(b); room > 0 {
			b = append(b, chunk[:min(room, len(chunk))]...)
		}
		if !more {
			return string(b), nil
		}
	}
}

// parseLine splits "250-text" / "250 text" / "250".
func parseLine(line string) (code int, last bool, text string, ok bool) {
	if len(line) < 3 {
		return 0, false, "", false
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 200 || code > 599 {
		return 0, false, "", false
	}
	switch {
	case len(line) == 3:
		return code, true, "", true
	case line[3] == ' ':
		return code, true, line[4:], true
	case line[3] == '-':
		return code, false, line[4:], true
	}
	return 0, false, "", false
}

// buildReply makes a Reply, taking the enhanced code off every line that
// carries the first line's (also a line that is nothing else, "250 2.0.0").
func buildReply(code int, lines []string) *smtpreply.Reply {
	enh, ok := parseEnhanced(lines[0])
	if !ok || enh[0] != code/100 {
		return &smtpreply.Reply{Code: code, Text: strings.Join(lines, "\n")}
	}
	for i, l := range lines {
		if e, ok := parseEnhanced(l); ok && e == enh {
			_, lines[i], _ = strings.Cut(l, " ")
		}
	}
	return &smtpreply.Reply{Code: code, Enhanced: enh, Text: strings.Join(lines, "\n")}
}

// parseEnhanced reads "class.subject.detail " at the start of s (RFC 3463
// §2: class "2", "4" or "5"; subject and detail of one to three digits).
func parseEnhanced(s string) (smtpreply.Enhanced, bool) {
	word, _, _ := strings.Cut(s, " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 {
		return smtpreply.Enhanced{}, false
	}
	if parts[0] != "2" && parts[0] != "4" && parts[0] != "5" {
		return smtpreply.Enhanced{}, false
	}
	var e smtpreply.Enhanced
	for i, p := range parts {
		// Digits only: strconv.Atoi would also take "+1" and "-0".
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return smtpreply.Enhanced{}, false
		}
		e[i], _ = strconv.Atoi(p)
	}
	return e, true
}
