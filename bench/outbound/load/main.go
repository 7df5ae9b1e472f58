// Command load is the submission load of bench/outbound.sh: N messages of
// SIZE octets over S parallel SMTP sessions (each reusing its connection),
// with AUTH PLAIN when -user is set, to recipients spread round robin over
// d1.test..dD.test. It prints the elapsed seconds and the rate.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:587", "server address")
	n := flag.Int("n", 10000, "messages")
	sessions := flag.Int("s", 20, "parallel sessions")
	size := flag.Int("size", 4096, "body octets")
	domains := flag.Int("domains", 10, "recipient domains d1.test..dD.test")
	user := flag.String("user", "", "AUTH PLAIN user (none when empty)")
	pass := flag.String("pass", "pass", "AUTH PLAIN password")
	from := flag.String("from", "bench1@bench.test", "envelope and header sender")
	flag.Parse()

	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range *sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(*addr, *user, *pass)
			if err != nil {
				log.Printf("load: %v", err)
				failed.Add(1)
				return
			}
			for {
				i := next.Add(1)
				if i > int64(*n) {
					break
				}
				rcpt := fmt.Sprintf("user%d@d%d.test", i%100, i%int64(*domains)+1)
				if err := send(c, *from, rcpt, message(*from, rcpt, i, *size)); err != nil {
					log.Printf("load: message %d: %v", i, err)
					failed.Add(1)
					_ = c.Close()
					if c, err = dial(*addr, *user, *pass); err != nil {
						log.Printf("load: %v", err)
						return
					}
				}
			}
			_ = c.Quit()
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("submitted %d msgs x %dB over %d sessions in %.3fs = %.1f msgs/s (%d failures)\n",
		*n, *size, *sessions, el, float64(*n)/el, failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

// client is a minimal SMTP client: one command, one reply (no SMTPUTF8,
// which net/smtp would add whenever the server offers it).
type client struct {
	c net.Conn
	r *bufio.Reader
}

func (c *client) cmd(want int, format string, args ...any) error {
	if format != "" {
		if _, err := fmt.Fprintf(c.c, format+"\r\n", args...); err != nil {
			return err
		}
	}
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 {
			return fmt.Errorf("bad reply %q", line)
		}
		if line[3] == '-' {
			continue
		}
		if code, _ := strconv.Atoi(line[:3]); code != want {
			return fmt.Errorf("%s: %s", strings.Fields(format + " ")[0], strings.TrimSpace(line))
		}
		return nil
	}
}

func (c *client) Close() error { return c.c.Close() }

func (c *client) Quit() error {
	_ = c.cmd(221, "QUIT")
	return c.c.Close()
}

func dial(addr, user, pass string) (*client, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &client{c: nc, r: bufio.NewReader(nc)}
	if err := c.cmd(220, ""); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.cmd(250, "EHLO load.bench.test"); err != nil {
		nc.Close()
		return nil, err
	}
	if user != "" {
		tok := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
		if err := c.cmd(235, "AUTH PLAIN %s", tok); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

// send runs one transaction; msg has CRLF line ends and no lone dots.
func send(c *client, from, rcpt string, msg []byte) error {
	if err := c.cmd(250, "MAIL FROM:<%s>", from); err != nil {
		return err
	}
	if err := c.cmd(250, "RCPT TO:<%s>", rcpt); err != nil {
		return err
	}
	if err := c.cmd(354, "DATA"); err != nil {
		return err
	}
	if _, err := c.c.Write(append(msg, ".\r\n"...)); err != nil {
		return err
	}
	return c.cmd(250, "")
}

// message is a header and a body of size octets of 76-character lines.
func message(from, rcpt string, i int64, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: bench %d\r\nMessage-ID: <bench-%d-%d@bench.test>\r\n"+
		"Date: %s\r\n\r\n", from, rcpt, i, i, time.Now().UnixNano(), time.Now().Format(time.RFC1123Z))
	line := strings.Repeat("x", 76) + "\r\n"
	for n := 0; n < size; n += len(line) {
		b.WriteString(line)
	}
	return b.Bytes()
}
