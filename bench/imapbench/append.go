package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// cmdAppend APPENDs the messages of an mbox to a user's INBOX over
// several connections at once (messages dealt round-robin), each
// pipelining a window of commands with LITERAL+; with -multi M > 1, each
// command is a MULTIAPPEND (RFC 3502) of M messages, stored all or none.
// The client of bench/importbench.sh, beside `petrel import`.
func cmdAppend(args []string) error {
	fs := flag.NewFlagSet("append", flag.ExitOnError)
	addr := fs.String("addr", "", "server host:port (loopback)")
	user := fs.String("user", "", "user name")
	pass := fs.String("pass", "pass", "password")
	mbox := fs.String("mbox", "", "mbox file")
	n := fs.Int("n", 0, "number of messages (the first n of the mbox)")
	conns := fs.Int("conns", 1, "connections")
	multi := fs.Int("multi", 1, "messages per APPEND command (MULTIAPPEND when > 1)")
	window := fs.Int("window", 16, "commands in flight per connection")
	fs.Parse(args)
	if *n <= 0 || *conns < 1 || *multi < 1 {
		return fmt.Errorf("need -n, -conns >= 1, -multi >= 1")
	}
	start := time.Now()
	feeds := make([]chan mboxMessage, *conns)
	errs := make([]error, *conns)
	var wg sync.WaitGroup
	for i := range feeds {
		feeds[i] = make(chan mboxMessage, *multi**window)
		c, err := dial(*addr, "")
		if err != nil {
			return err
		}
		defer c.close()
		if err := c.login(*user, *pass); err != nil {
			return err
		}
		wg.Go(func() { errs[i] = appendFeed(c, feeds[i], *multi, *window) })
	}
	var octets int64
	err := readMbox(*mbox, *n, func(i int, m mboxMessage) error {
		octets += int64(len(m.body))
		feeds[(i / *multi)%*conns] <- m
		return nil
	})
	for _, f := range feeds {
		close(f)
	}
	wg.Wait()
	for _, e := range errs {
		if err == nil {
			err = e
		}
	}
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("appended %d messages (%.0f MB) over %d connections, %d per command, in %.1f s = %.0f msgs/s\n",
		*n, float64(octets)/1e6, *conns, *multi, d.Seconds(), float64(*n)/d.Seconds())
	return nil
}

// appendFeed sends the messages of feed as APPEND commands of multi
// messages each, with window commands in flight, and checks every reply.
func appendFeed(c *client, feed <-chan mboxMessage, multi, window int) error {
	slots := make(chan struct{}, window)
	tags := make(chan string, window+1)
	errc := make(chan error, 1)
	go func() {
		var err error
		for tag := range tags {
			if err == nil {
				err = c.wait(tag, "APPEND", nil)
			}
			<-slots
		}
		errc <- err
	}()
	var err error
	inCmd := 0
	for m := range feed {
		if inCmd == 0 {
			select {
			case slots <- struct{}{}:
			default: // the window is full: the server must see what is written
				if err = c.bw.Flush(); err != nil {
					break
				}
				slots <- struct{}{}
			}
			if err != nil {
				break
			}
			c.bw.WriteString(c.tag() + " APPEND INBOX")
		}
		date := m.date.UTC().Format(`"02-Jan-2006 15:04:05 -0700"`)
		c.bw.WriteString(` (\Seen) ` + date + " {" + strconv.Itoa(len(m.body)) + "+}\r\n")
		c.bw.Write(m.body)
		inCmd++
		if inCmd == multi {
			err = endCommand(c, tags, len(feed) == 0)
			inCmd = 0
		}
		if err != nil {
			break
		}
	}
	if inCmd > 0 && err == nil {
		err = endCommand(c, tags, true)
	}
	for range feed { // drain on error
	}
	close(tags)
	if werr := <-errc; err == nil {
		err = werr
	}
	if err == nil {
		err = c.run("LOGOUT", nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imapbench append:", err)
	}
	return err
}

// endCommand ends the APPEND command being written (its tag is the
// client's last) and flushes when nothing more is waiting.
func endCommand(c *client, tags chan<- string, flush bool) error {
	c.bw.WriteString("\r\n")
	tags <- "b" + strconv.Itoa(c.next)
	if flush {
		return c.bw.Flush()
	}
	return nil
}
