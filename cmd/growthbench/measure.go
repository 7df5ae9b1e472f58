package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"time"
)

type measureOpts struct {
	smtpAddr, imapAddr, popAddr string
	n, sessions, users, runs    int
}

// cmdMeasure measures a running server: SMTP deliveries/s to the
// ordinary accounts, IMAP SELECT and UID FETCH 1:* (FLAGS) of big@'s
// INBOX (and SELECT of a small INBOX), POP3 login and STAT of pop@'s
// maildrop. Each timing is taken runs times and printed as its median
// and minimum, in milliseconds.
func cmdMeasure(args []string) error {
	var o measureOpts
	fs := flag.NewFlagSet("measure", flag.ExitOnError)
	fs.StringVar(&o.smtpAddr, "smtp", "", "SMTP address (host:port)")
	fs.StringVar(&o.imapAddr, "imap", "", "IMAP address")
	fs.StringVar(&o.popAddr, "pop3", "", "POP3 address")
	fs.IntVar(&o.n, "n", 2000, "SMTP messages")
	fs.IntVar(&o.sessions, "sessions", 8, "SMTP sessions")
	fs.IntVar(&o.users, "users", 10_000, "accounts in the store")
	fs.IntVar(&o.runs, "runs", 5, "runs of each IMAP and POP3 timing")
	fs.Parse(args)
	if o.smtpAddr != "" {
		rate, err := smtpRate(o)
		if err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		fmt.Printf("smtp_msgs_per_s %.0f\n", rate)
	}
	if o.imapAddr != "" {
		if err := imapTimes(o); err != nil {
			return fmt.Errorf("imap: %w", err)
		}
	}
	if o.popAddr != "" {
		var ts []time.Duration
		for range o.runs {
			d, err := popLogin(o.popAddr)
			if err != nil {
				return fmt.Errorf("pop3: %w", err)
			}
			ts = append(ts, d)
		}
		report("pop3_login_stat_ms", ts)
	}
	return nil
}

// report prints a timing's median and minimum in milliseconds.
func report(name string, ts []time.Duration) {
	slices.Sort(ts)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("%s %.1f (min %.1f)\n", name, ms(ts[len(ts)/2]), ms(ts[0]))
}

// smtpRate sends o.n messages over o.sessions sessions, each to an
// ordinary account taken at random, and returns messages per second.
func smtpRate(o measureOpts) (float64, error) {
	var wg sync.WaitGroup
	errs := make(chan error, o.sessions)
	t0 := time.Now()
	for s := range o.sessions {
		k := o.n/o.sessions + btoi(s < o.n%o.sessions)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := smtpSession(o.smtpAddr, s, k, o.users); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(o.n) / el, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func smtpSession(addr string, s, k, users int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("source.test"); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(s)))
	for i := range k {
		to := userName(1 + r.IntN(users-2))
		if err := c.Mail("s@source.test"); err != nil {
			return err
		}
		if err := c.Rcpt(to); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		w.Write(message(r, to, 1_000_000_000+s*1_000_000+i, 1200, time.Now()))
		if err := w.Close(); err != nil {
			return err
		}
	}
	return c.Quit()
}

// imapConn is a minimal IMAP client: one command at a time, untagged
// lines counted.
type imapConn struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func imapDial(addr string) (*imapConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	ic := &imapConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
	if _, err := ic.r.ReadString('\n'); err != nil {
		c.Close()
		return nil, err
	}
	return ic, nil
}

// cmd runs one command and returns how many untagged lines starting
// with prefix came before its tagged OK.
func (ic *imapConn) cmd(line, prefix string) (int, error) {
	ic.tag++
	tag := fmt.Sprintf("g%d", ic.tag)
	if _, err := fmt.Fprintf(ic.c, "%s %s\r\n", tag, line); err != nil {
		return 0, err
	}
	n := 0
	for {
		l, err := ic.r.ReadString('\n')
		if err != nil {
			return n, err
		}
		if strings.HasPrefix(l, prefix) {
			n++
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				return n, fmt.Errorf("%s: %s", strings.Fields(line)[0], strings.TrimSpace(l))
			}
			return n, nil
		}
	}
}

// imapTimes times SELECT and UID FETCH 1:* (FLAGS) of big@'s INBOX and
// SELECT of a small INBOX, each on a fresh login.
func imapTimes(o measureOpts) error {
	var sel, fetch, small, login []time.Duration
	var fetched int
	for range o.runs {
		for _, user := range []string{bigUser, userName(1 + rand.IntN(o.users-2))} {
			ic, err := imapDial(o.imapAddr)
			if err != nil {
				return err
			}
			t0 := time.Now()
			if _, err := ic.cmd(fmt.Sprintf("LOGIN %s %s", user, password), "*"); err != nil {
				return err
			}
			t1 := time.Now()
			if _, err := ic.cmd("SELECT INBOX", "*"); err != nil {
				return err
			}
			t2 := time.Now()
			if user != bigUser {
				small = append(small, t2.Sub(t1))
				ic.c.Close()
				continue
			}
			login = append(login, t1.Sub(t0))
			sel = append(sel, t2.Sub(t1))
			if fetched, err = ic.cmd("UID FETCH 1:* (FLAGS)", "* "); err != nil {
				return err
			}
			fetch = append(fetch, time.Since(t2))
			ic.cmd("LOGOUT", "*")
			ic.c.Close()
		}
	}
	report("imap_login_ms", login)
	report("imap_select_big_ms", sel)
	report("imap_fetch_flags_big_ms", fetch)
	fmt.Printf("imap_fetch_flags_big_lines %d\n", fetched)
	report("imap_select_small_ms", small)
	return nil
}

// popLogin times a POP3 session up to STAT of pop@'s maildrop.
func popLogin(addr string) (time.Duration, error) {
	t0 := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	expect := func() (string, error) {
		l, err := r.ReadString('\n')
		if err == nil && !strings.HasPrefix(l, "+OK") {
			err = fmt.Errorf("%s", strings.TrimSpace(l))
		}
		return l, err
	}
	if _, err := expect(); err != nil {
		return 0, err
	}
	for _, line := range []string{"USER " + popUser, "PASS " + password, "STAT"} {
		fmt.Fprintf(c, "%s\r\n", line)
		if _, err := expect(); err != nil {
			return 0, err
		}
	}
	d := time.Since(t0)
	// Wait for QUIT's reply: the next run's login would find the
	// maildrop still locked (RFC 1939 §6: the UPDATE state).
	fmt.Fprintf(c, "QUIT\r\n")
	_, err = expect()
	return d, err
}
