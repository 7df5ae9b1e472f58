package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// mboxMessage is one message of an mbox: CRLF text and its date.
type mboxMessage struct {
	date time.Time
	body []byte
}

// readMbox calls fn for each message of an mbox written by
// bench/genmbox (mboxrd: ">From " lines unescaped once),
// stopping after max messages (0: all).
func readMbox(path string, max int, fn func(i int, m mboxMessage) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var cur *mboxMessage
	n := 0
	flush := func() error {
		if cur == nil {
			return nil
		}
		// The separator's blank line is not part of the message.
		cur.body = bytes.TrimSuffix(cur.body, []byte("\r\n"))
		err := fn(n, *cur)
		n++
		cur = nil
		return err
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			l := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if bytes.HasPrefix(l, []byte("From ")) {
				if err := flush(); err != nil {
					return err
				}
				if max > 0 && n >= max {
					return nil
				}
				cur = &mboxMessage{date: fromLineDate(string(l))}
				continue
			}
			if cur != nil {
				if bytes.HasPrefix(bytes.TrimLeft(l, ">"), []byte("From ")) && l[0] == '>' {
					l = l[1:]
				}
				cur.body = append(cur.body, l...)
				cur.body = append(cur.body, '\r', '\n')
			}
		}
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
	}
}

// fromLineDate parses "From sender Tue Nov 14 22:13:20 2023".
func fromLineDate(l string) time.Time {
	f := strings.Fields(l)
	if len(f) < 7 {
		return time.Time{}
	}
	t, err := time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(f[2:7], " "))
	if err != nil {
		return time.Time{}
	}
	return t
}

// flagsFor gives message i (of n) the same flags on every server: most
// read, the last 1% and every 97th unread, every 50th flagged, every
// 200th with a keyword.
func flagsFor(i, n int) string {
	var f []string
	if i < n-n/100 && i%97 != 0 {
		f = append(f, `\Seen`)
	}
	if i%50 == 0 {
		f = append(f, `\Flagged`)
	}
	if i%200 == 0 {
		f = append(f, `$Forwarded`)
	}
	return "(" + strings.Join(f, " ") + ")"
}

// cmdFill APPENDs the messages of an mbox to a user's INBOX, in order,
// pipelined with LITERAL+ (a window of commands in flight).
func cmdFill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	addr := fs.String("addr", "", "server host:port (loopback)")
	user := fs.String("user", "", "user name")
	pass := fs.String("pass", "pass", "password")
	mbox := fs.String("mbox", "", "mbox file (bench/genmbox)")
	n := fs.Int("n", 0, "number of messages (the first n of the mbox; 0: all)")
	window := fs.Int("window", 64, "APPEND commands in flight")
	fs.Parse(args)
	c, err := dial(*addr, "")
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.login(*user, *pass); err != nil {
		return err
	}
	total := *n
	if total == 0 {
		return fmt.Errorf("-n is required")
	}
	start := time.Now()
	errc := make(chan error, 1)
	slots := make(chan struct{}, *window)
	tags := make(chan string, *window+1)
	go func() {
		var err error
		done := 0
		for tag := range tags {
			if err == nil {
				err = c.wait(tag, "APPEND", nil)
			}
			<-slots
			done++
			if done%10000 == 0 && err == nil {
				fmt.Fprintf(os.Stderr, "  %d/%d appended (%.0f/s)\n", done, total, float64(done)/time.Since(start).Seconds())
			}
		}
		errc <- err
	}()
	var octets int64
	err = readMbox(*mbox, total, func(i int, m mboxMessage) error {
		slots <- struct{}{}
		tag := c.tag()
		date := m.date.UTC().Format(`"02-Jan-2006 15:04:05 -0700"`)
		c.bw.WriteString(tag + " APPEND INBOX " + flagsFor(i, total) + " " + date +
			" {" + strconv.Itoa(len(m.body)) + "+}\r\n")
		c.bw.Write(m.body)
		c.bw.WriteString("\r\n")
		octets += int64(len(m.body))
		tags <- tag
		if len(slots) == cap(slots) || i == total-1 {
			return c.bw.Flush()
		}
		return nil
	})
	if ferr := c.bw.Flush(); err == nil {
		err = ferr
	}
	close(tags)
	if werr := <-errc; err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("appended %d messages (%.0f MB) in %.1f s = %.0f msgs/s\n", total, float64(octets)/1e6, d.Seconds(), float64(total)/d.Seconds())
	return c.run("LOGOUT", nil)
}

// maildirFlags are flagsFor's flags as a Maildir info suffix (Dovecot:
// keyword 0, "$Forwarded" in dovecot-keywords, is the letter a).
func maildirFlags(i, n int) string {
	f := flagsFor(i, n)
	var b strings.Builder
	for _, m := range []struct{ flag, letter string }{{`\Flagged`, "F"}, {`\Seen`, "S"}, {`$Forwarded`, "a"}} {
		if strings.Contains(f, m.flag) {
			b.WriteString(m.letter)
		}
	}
	return b.String()
}

// cmdMaildir writes the messages of an mbox into a Maildir directly, as
// fill would APPEND them (same order, flags and dates): Dovecot's own
// Maildir APPEND rewrites dovecot-uidlist and slows down with the size
// of the mailbox (under 200 messages/s past 20,000). Dovecot gives the
// files UIDs in the order of their names at its next sync.
func cmdMaildir(args []string) error {
	fs := flag.NewFlagSet("maildir", flag.ExitOnError)
	dir := fs.String("dir", "", "Maildir (cur/, new/ and tmp/ are created)")
	mbox := fs.String("mbox", "", "mbox file (bench/genmbox)")
	n := fs.Int("n", 0, "number of messages (the first n of the mbox)")
	fs.Parse(args)
	if *dir == "" || *n <= 0 {
		return fmt.Errorf("need -dir and -n")
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(*dir+"/"+sub, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(*dir+"/dovecot-keywords", []byte("0 $Forwarded\n"), 0o600); err != nil {
		return err
	}
	start := time.Now()
	base := time.Now().Unix() - int64(*n)
	var octets int64
	err := readMbox(*mbox, *n, func(i int, m mboxMessage) error {
		size := strconv.Itoa(len(m.body))
		name := fmt.Sprintf("%s/cur/%d.M%dP%d.bench,S=%s,W=%s:2,%s", *dir, base+int64(i), i, os.Getpid(),
			size, size, maildirFlags(i, *n))
		if err := os.WriteFile(name, m.body, 0o600); err != nil {
			return err
		}
		octets += int64(len(m.body))
		return os.Chtimes(name, m.date, m.date)
	})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d messages (%.0f MB) into %s in %.1f s\n", *n, float64(octets)/1e6, *dir, time.Since(start).Seconds())
	return nil
}
