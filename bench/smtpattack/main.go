// Command smtpattack runs the bounded SMTP attacks of issue 11 against a
// server on loopback and prints what the attacker got (bench/smtpattack.sh
// starts petrel serve and reads the server's side: log lines, RSS):
//
//	harvest  RCPTs of unknown users, pipelined, on one connection and then
//	         on new connections until -n were sent or -for has passed
//	slow     DATA with one octet every -interval: how long the slot is held
//	burst    -c concurrent messages of -size octets; samples the RSS of -pid
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: smtpattack harvest|slow|burst [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:2525", "server address")
	domain := fs.String("domain", "example.test", "recipient domain")
	rcpt := fs.String("rcpt", "", "an existing recipient (slow, burst)")
	n := fs.Int("n", 5000, "harvest: RCPTs to send in all")
	dur := fs.Duration("for", 60*time.Second, "harvest: give up after; slow: stop holding after")
	reconnect := fs.Bool("reconnect", true, "harvest: reconnect when the server closes")
	interval := fs.Duration("interval", 5*time.Second, "slow: time between octets")
	conc := fs.Int("c", 20, "burst: concurrent messages")
	size := fs.Int("size", 49_000_000, "burst: message octets")
	pid := fs.Int("pid", 0, "burst: server process to sample")
	after := fs.Duration("after", 30*time.Second, "burst: sample RSS this long after the burst")
	fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "harvest":
		harvest(*addr, *domain, *n, *dur, *reconnect)
	case "slow":
		slow(*addr, *rcpt, *interval, *dur)
	case "burst":
		burst(*addr, *rcpt, *conc, *size, *pid, *after)
	default:
		log.Fatalf("unknown attack %q", os.Args[1])
	}
}

type conn struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	k := &conn{c: c, r: bufio.NewReader(c)}
	if _, err := k.reply(); err != nil {
		c.Close()
		return nil, err
	}
	return k, nil
}

// reply reads one reply and returns its code.
func (k *conn) reply() (int, error) {
	for {
		l, err := k.r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if len(l) < 4 {
			return 0, fmt.Errorf("bad reply %q", l)
		}
		if l[3] == ' ' {
			return strconv.Atoi(l[:3])
		}
	}
}

func (k *conn) cmd(line string) (int, error) {
	if _, err := io.WriteString(k.c, line+"\r\n"); err != nil {
		return 0, err
	}
	return k.reply()
}

// start sends EHLO and MAIL.
func (k *conn) start() error {
	for _, l := range []string{"EHLO attacker.test", "MAIL FROM:<probe@attacker.test>"} {
		if code, err := k.cmd(l); err != nil || code != 250 {
			return fmt.Errorf("%s: %d %v", l, code, err)
		}
	}
	return nil
}

func harvest(addr, domain string, n int, budget time.Duration, reconnect bool) {
	began := time.Now()
	codes := map[int]int{}
	conns, answered := 0, 0
	for answered < n && time.Since(began) < budget {
		k, err := dial(addr)
		if err != nil {
			log.Fatal(err)
		}
		conns++
		if err := k.start(); err != nil {
			codes[0]++
			k.c.Close()
			if !reconnect {
				break
			}
			continue
		}
		batch := n - answered
		first := answered
		go func() { // pipelined: the writer never waits for replies
			w := bufio.NewWriter(k.c)
			for i := range batch {
				fmt.Fprintf(w, "RCPT TO:<u%d@%s>\r\n", first+i, domain)
			}
			w.Flush()
		}()
		k.c.SetReadDeadline(began.Add(budget))
		for i := 0; i < batch; i++ {
			code, err := k.reply()
			if err != nil {
				break
			}
			codes[code]++
			answered++
			if code == 421 {
				break
			}
		}
		k.c.Close()
		if !reconnect {
			break
		}
	}
	el := time.Since(began).Seconds()
	fmt.Printf("harvest: %d RCPT replies in %.2f s over %d connections (%.0f/s); replies by code %v\n",
		answered, el, conns, float64(answered)/el, codes)
}

func slow(addr, rcpt string, interval, budget time.Duration) {
	k, err := dial(addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := k.start(); err != nil {
		log.Fatal(err)
	}
	for _, c := range []struct {
		l    string
		want int
	}{{"RCPT TO:<" + rcpt + ">", 250}, {"DATA", 354}} {
		if code, err := k.cmd(c.l); err != nil || code != c.want {
			log.Fatalf("%s: %d %v", c.l, code, err)
		}
	}
	began := time.Now()
	closed := make(chan string, 1)
	go func() {
		l, err := k.r.ReadString('\n')
		closed <- fmt.Sprintf("%q %v", strings.TrimSpace(l), err)
	}()
	octets := 0
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := k.c.Write([]byte("x")); err == nil {
			octets++
		}
		select {
		case why := <-closed:
			fmt.Printf("slow: the server cut the DATA after %.1f s and %d octets (one per %v): %s\n",
				time.Since(began).Seconds(), octets, interval, why)
			return
		case <-tick.C:
		}
		if time.Since(began) > budget {
			fmt.Printf("slow: still holding the slot after %.1f s and %d octets (one per %v); giving up\n",
				time.Since(began).Seconds(), octets, interval)
			return
		}
	}
}

func burst(addr, rcpt string, c, size, pid int, after time.Duration) {
	line := strings.Repeat("y", 76) + "\r\n"
	body := "Subject: burst\r\n\r\n" + strings.Repeat(line, size/len(line)) + ".\r\n"
	fmt.Printf("burst: RSS before %d MB\n", rss(pid)>>20)
	var peak, peakAnon int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak = max(peak, rss(pid))
			peakAnon = max(peakAnon, status(pid, "RssAnon:"))
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	began := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range c {
		wg.Go(func() {
			code := send(addr, rcpt, body)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	fmt.Printf("burst: %d x %d octets in %.1f s, final replies %v\n", c, len(body), time.Since(began).Seconds(), codes)
	fmt.Printf("burst: RSS peak %d MB (sampled; VmHWM %d MB; anonymous memory alone %d MB), right after %d MB\n",
		peak>>20, hwm(pid)>>20, peakAnon>>20, rss(pid)>>20)
	end := time.Now()
	for _, t := range []time.Duration{after / 3, after} {
		time.Sleep(time.Until(end.Add(t)))
		fmt.Printf("burst: RSS %v later: %d MB (anonymous %d MB)\n", t, rss(pid)>>20, status(pid, "RssAnon:")>>20)
	}
}

func send(addr, rcpt, body string) int {
	k, err := dial(addr)
	if err != nil {
		return -1
	}
	defer k.c.Close()
	if err := k.start(); err != nil {
		return -2
	}
	for _, l := range []string{"RCPT TO:<" + rcpt + ">", "DATA"} {
		if _, err := k.cmd(l); err != nil {
			return -3
		}
	}
	if _, err := io.WriteString(k.c, body); err != nil {
		return -4
	}
	code, _ := k.reply()
	k.cmd("QUIT")
	return code
}

// rss and hwm read the resident set size and its peak of pid, in octets.
func rss(pid int) int64 { return status(pid, "VmRSS:") }
func hwm(pid int) int64 { return status(pid, "VmHWM:") }

func status(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
