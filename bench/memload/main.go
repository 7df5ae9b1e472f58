// Command memload is the client of bench/memory.sh: many large messages
// in flight at once through one petrel serve, the server's memory sampled
// while they are (loopback addresses only):
//
//	memload smtp   -addr A -n 20 -size 49900000 -user-fmt bench%d@bench.test -pid PID
//	    N concurrent SMTP sessions, each sending one message with DATA
//	    to user i (smtp-bdat: with BDAT, RFC 3030, in chunks of 1 MiB)
//	memload submission|bdat -addr A -user-fmt F -pass P ...
//	    the same on submission, user i logged in with AUTH PLAIN
//	memload append -addr A -user-fmt F -pass P ...
//	    N concurrent IMAP sessions (user i each), each APPENDing one message
//	    as a synchronizing literal
//	memload fetch  -addr A -user-fmt F -pass P ...
//	    N concurrent IMAP sessions, each FETCH * BODY.PEEK[] (the last
//	    message of its INBOX), the octets read and thrown away
//	memload retr   -addr A -user-fmt F -pass P ...
//	    N concurrent POP3 sessions, each RETR of its last message
//
// Every phase prints the server's RSS (anonymous and file-backed pages
// apart: the store parses a large message through a read-only map of its
// file, which is page cache) before, at its peak (sampled every 20 ms)
// and a few seconds after, and checks every reply.
package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: memload smtp|smtp-bdat|submission|bdat|append|fetch|retr [flags]")
		os.Exit(2)
	}
	time.AfterFunc(30*time.Minute, func() {
		fmt.Fprintln(os.Stderr, "memload: time limit reached")
		os.Exit(3)
	})
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	addr := fs.String("addr", "", "server host:port (loopback)")
	n := fs.Int("n", 20, "concurrent sessions, one message each")
	size := fs.Int("size", 49_900_000, "message size in octets (about)")
	userFmt := fs.String("user-fmt", "bench%d@bench.test", "user (and recipient) name format: session i is user i")
	pass := fs.String("pass", "pass", "password")
	pid := fs.Int("pid", 0, "the server's PID, whose memory is sampled")
	after := fs.Duration("after", 5*time.Second, "measure again this long after the last session ended")
	fs.Parse(os.Args[2:])
	run, ok := map[string]func(c net.Conn, user, pass string, size int) error{
		"smtp": sendData(false), "smtp-bdat": sendBDAT(false), "submission": sendData(true), "bdat": sendBDAT(true),
		"append": imapAppend, "fetch": imapFetch, "retr": popRetr,
	}[mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "memload: unknown mode %q\n", mode)
		os.Exit(2)
	}
	if err := phase(mode, *addr, *n, *size, *userFmt, *pass, *pid, *after, run); err != nil {
		fmt.Fprintln(os.Stderr, "memload:", err)
		os.Exit(1)
	}
}

// mem is a sample of a process's resident memory, in KiB.
type mem struct{ rss, anon, file int64 }

func sample(pid int) mem {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem{}
	}
	var m mem
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		x, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			m.rss = x
		case "RssAnon":
			m.anon = x
		case "RssFile":
			m.file = x
		}
	}
	return m
}

func (m mem) String() string {
	return fmt.Sprintf("RSS %.1f MiB (anonymous %.1f, file %.1f)", float64(m.rss)/1024, float64(m.anon)/1024, float64(m.file)/1024)
}

// phase runs n sessions at once and reports the server's memory.
func phase(mode, addr string, n, size int, userFmt, pass string, pid int, after time.Duration,
	run func(c net.Conn, user, pass string, size int) error) error {
	if err := loopbackOnly(addr); err != nil {
		return err
	}
	before := sample(pid)
	var peak mem
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			s := sample(pid)
			peak.rss, peak.anon, peak.file = max(peak.rss, s.rss), max(peak.anon, s.anon), max(peak.file, s.file)
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 30*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Minute))
			if err := run(c, fmt.Sprintf(userFmt, i+1), pass, size); err != nil {
				errs <- fmt.Errorf("session %d: %w", i+1, err)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(stop)
	<-sampled
	close(errs)
	failed := 0
	for err := range errs {
		if failed == 0 {
			fmt.Println("first failure:", err)
		}
		failed++
	}
	time.Sleep(after)
	later := sample(pid)
	fmt.Printf("%s: %d x %d octets in %.1f s, %d failed\n", mode, n, size, took.Seconds(), failed)
	if pid > 0 {
		fmt.Printf("  before: %v\n  peak:   %v  (peak anonymous growth %.1f MiB, %.2f MiB per message in flight)\n  %v after: %v\n",
			before, peak, float64(peak.anon-before.anon)/1024, float64(peak.anon-before.anon)/1024/float64(n), after, later)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d sessions failed", failed, n)
	}
	return nil
}

func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: loopback addresses only", addr)
	}
	return nil
}

// message writes a message from from to user of about size octets (a base64 attachment),
// without holding it, and returns its exact size. No line starts with a
// dot, so it needs no dot-stuffing.
func message(w io.Writer, from, user string, size int) int {
	head := "From: <" + from + ">\r\nTo: " + user + "\r\nSubject: large\r\n" +
		"Message-ID: <" + fmt.Sprintf("%016x", time.Now().UnixNano()) + "." + user + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	tail := "--b--\r\n"
	raw := make([]byte, 57)
	for i := range raw {
		raw[i] = byte(i * 37)
	}
	line := base64.StdEncoding.EncodeToString(raw) + "\r\n"
	lines := (size - len(head) - len(tail)) / len(line)
	if w != nil {
		bw := bufio.NewWriterSize(w, 64<<10)
		bw.WriteString(head)
		for range lines {
			bw.WriteString(line)
		}
		bw.WriteString(tail)
		bw.Flush()
	}
	return len(head) + lines*len(line) + len(tail)
}

// smtpConn is an SMTP client on a raw connection.
type smtpConn struct {
	c  net.Conn
	br *bufio.Reader
}

// reply reads a reply and wants its code to start with want.
func (s *smtpConn) reply(want string) error {
	for {
		l, err := s.br.ReadString('\n')
		if err != nil {
			return err
		}
		if len(l) < 4 || !strings.HasPrefix(l, want) {
			return fmt.Errorf("want %s, got %q", want, strings.TrimSpace(l))
		}
		if l[3] == ' ' {
			return nil
		}
	}
}

func (s *smtpConn) cmd(line, want string) error {
	if _, err := io.WriteString(s.c, line+"\r\n"); err != nil {
		return err
	}
	return s.reply(want)
}

func smtpStart(c net.Conn, user, pass string, auth bool) (*smtpConn, error) {
	s := &smtpConn{c: c, br: bufio.NewReader(c)}
	if err := s.reply("220"); err != nil {
		return nil, err
	}
	if err := s.cmd("EHLO source.test", "250"); err != nil {
		return nil, err
	}
	if auth {
		tok := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
		if err := s.cmd("AUTH PLAIN "+tok, "235"); err != nil {
			return nil, err
		}
	}
	if err := s.cmd("MAIL FROM:<"+from(user, auth)+">", "250"); err != nil {
		return nil, err
	}
	return s, s.cmd("RCPT TO:<"+user+">", "250")
}

// from is the sender of a message: the user on submission.
func from(user string, auth bool) string {
	if auth {
		return user
	}
	return "bench@source.test"
}

// sendData sends with DATA; auth: on submission, with AUTH PLAIN.
func sendData(auth bool) func(c net.Conn, user, pass string, size int) error {
	return func(c net.Conn, user, pass string, size int) error {
		s, err := smtpStart(c, user, pass, auth)
		if err != nil {
			return err
		}
		if err := s.cmd("DATA", "354"); err != nil {
			return err
		}
		message(c, from(user, auth), user, size)
		if err := s.cmd(".", "250"); err != nil {
			return err
		}
		return s.cmd("QUIT", "221")
	}
}

// chunker sends what is written as BDAT chunks of up to 1 MiB.
type chunker struct {
	s   *smtpConn
	buf []byte
	err error
}

func (k *chunker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && k.err == nil {
		m := min(len(p), cap(k.buf)-len(k.buf))
		k.buf = append(k.buf, p[:m]...)
		p = p[m:]
		if len(k.buf) == cap(k.buf) {
			k.send(false)
		}
	}
	return n, k.err
}

func (k *chunker) send(last bool) {
	if k.err != nil {
		return
	}
	cmd := "BDAT " + strconv.Itoa(len(k.buf))
	if last {
		cmd += " LAST"
	}
	if _, k.err = io.WriteString(k.s.c, cmd+"\r\n"); k.err != nil {
		return
	}
	if _, k.err = k.s.c.Write(k.buf); k.err != nil {
		return
	}
	k.err = k.s.reply("250")
	k.buf = k.buf[:0]
}

// sendBDAT sends with BDAT in chunks of 1 MiB; auth as sendData's.
func sendBDAT(auth bool) func(c net.Conn, user, pass string, size int) error {
	return func(c net.Conn, user, pass string, size int) error {
		s, err := smtpStart(c, user, pass, auth)
		if err != nil {
			return err
		}
		k := &chunker{s: s, buf: make([]byte, 0, 1<<20)}
		message(k, from(user, auth), user, size)
		k.send(true)
		if k.err != nil {
			return k.err
		}
		return s.cmd("QUIT", "221")
	}
}

// imapConn is an IMAP client on a raw connection.
type imapConn struct {
	c  net.Conn
	br *bufio.Reader
}

// until reads lines (throwing literals away) until the tagged reply of
// tag, and wants it OK. onLiteral is told each literal's size.
func (m *imapConn) until(tag string, onLiteral func(int64)) error {
	for {
		l, err := m.br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				return fmt.Errorf("%q", strings.TrimSpace(l))
			}
			return nil
		}
		t := strings.TrimRight(l, "\r\n")
		if strings.HasSuffix(t, "}") {
			if i := strings.LastIndexByte(t, '{'); i >= 0 {
				k, err := strconv.ParseInt(t[i+1:len(t)-1], 10, 64)
				if err != nil {
					return fmt.Errorf("literal %q", t)
				}
				if onLiteral != nil {
					onLiteral(k)
				}
				if _, err := io.CopyN(io.Discard, m.br, k); err != nil {
					return err
				}
			}
		}
	}
}

func (m *imapConn) cmd(tag, line string) error {
	if _, err := io.WriteString(m.c, tag+" "+line+"\r\n"); err != nil {
		return err
	}
	return m.until(tag, nil)
}

func imapLogin(c net.Conn, user, pass string) (*imapConn, error) {
	m := &imapConn{c: c, br: bufio.NewReaderSize(c, 64<<10)}
	if l, err := m.br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK") {
		return nil, fmt.Errorf("greeting %q: %v", l, err)
	}
	return m, m.cmd("a", "LOGIN "+user+" "+pass)
}

func imapAppend(c net.Conn, user, pass string, size int) error {
	m, err := imapLogin(c, user, pass)
	if err != nil {
		return err
	}
	n := message(nil, user, user, size)
	io.WriteString(c, "b APPEND INBOX {"+strconv.Itoa(n)+"}\r\n")
	if l, err := m.br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+") {
		return fmt.Errorf("APPEND: %q %v", l, err)
	}
	message(c, user, user, size)
	io.WriteString(c, "\r\n")
	if err := m.until("b", nil); err != nil {
		return err
	}
	return m.cmd("z", "LOGOUT")
}

func imapFetch(c net.Conn, user, pass string, size int) error {
	m, err := imapLogin(c, user, pass)
	if err != nil {
		return err
	}
	if err := m.cmd("b", "SELECT INBOX"); err != nil {
		return err
	}
	var got int64
	io.WriteString(c, "c FETCH * BODY.PEEK[]\r\n")
	if err := m.until("c", func(k int64) { got += k }); err != nil {
		return err
	}
	if got < int64(size)*9/10 {
		return fmt.Errorf("FETCH: %d octets, want about %d", got, size)
	}
	return m.cmd("z", "LOGOUT")
}

func popRetr(c net.Conn, user, pass string, size int) error {
	br := bufio.NewReaderSize(c, 64<<10)
	ok := func() (string, error) {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(l, "+OK") {
			return "", fmt.Errorf("%q", strings.TrimSpace(l))
		}
		return l, nil
	}
	cmd := func(line string) error {
		io.WriteString(c, line+"\r\n")
		_, err := ok()
		return err
	}
	if _, err := ok(); err != nil {
		return err
	}
	if err := cmd("USER " + user); err != nil {
		return err
	}
	if err := cmd("PASS " + pass); err != nil {
		return err
	}
	io.WriteString(c, "STAT\r\n")
	stat, err := ok()
	if err != nil {
		return err
	}
	f := strings.Fields(stat)
	if len(f) < 2 {
		return fmt.Errorf("STAT: %q", stat)
	}
	if err := cmd("RETR " + f[1]); err != nil { // the last message
		return err
	}
	var got int64
	for {
		l, err := br.ReadSlice('\n')
		got += int64(len(l))
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return err
		}
		if string(l) == ".\r\n" {
			break
		}
	}
	if got < int64(size)*9/10 {
		return fmt.Errorf("RETR: %d octets, want about %d", got, size)
	}
	return cmd("QUIT")
}
