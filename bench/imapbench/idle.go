package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memory sums the resident memory of the process trees rooted at pids:
// RSS (shared pages counted in every process) and PSS (shared pages
// divided among their sharers), in KiB.
func memory(pids []int) (rss, pss int64, procs int) {
	children := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if len(f) > 2 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	seen := map[int]bool{}
	queue := append([]int(nil), pids...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		queue = append(queue, children[p]...)
		r, ok := procField("/proc/"+strconv.Itoa(p)+"/status", "VmRSS:")
		if !ok {
			continue
		}
		procs++
		rss += r
		if s, ok := procField("/proc/"+strconv.Itoa(p)+"/smaps_rollup", "Pss:"); ok {
			pss += s
		}
	}
	return rss, pss, procs
}

// procField reads "Key:   123 kB" from a /proc file.
func procField(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// idler is one connection in IDLE.
type idler struct {
	c     *client
	addr  string // the server it is connected to
	woken atomic.Bool
	at    atomic.Int64 // when it saw EXISTS (Unix nanoseconds)
}

// cmdIdle opens many authenticated connections that SELECT INBOX and
// IDLE, measures the server's memory, then checks that a new message in
// every user's INBOX reaches every connection. With several servers (nodes
// of one store) the connections are spread over them in turn and the new
// message goes in through the first one; the time each connection took to
// see it is reported per server.
func cmdIdle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	addrList := fs.String("addr", "", "server host:port (loopback); several, comma-separated, get the connections in turn")
	userFmt := fs.String("user-fmt", "bench%d", "user name format (one %d)")
	first := fs.Int("user-first", 1, "first user number")
	users := fs.Int("users", 1, "number of users (connections are spread over them)")
	pass := fs.String("pass", "pass", "password")
	n := fs.Int("n", 1000, "connections")
	srcFirst := fs.String("src-first", "127.0.0.1", "first loopback source address")
	srcCount := fs.Int("src-count", 1, "number of source addresses (consecutive)")
	par := fs.Int("par", 32, "connections being set up at once")
	pidList := fs.String("pid", "", "comma-separated PIDs whose process trees' memory is measured")
	settle := fs.Duration("settle", 10*time.Second, "wait between the last connection and the first measurement")
	hold := fs.Duration("hold", 0, "then wait this long and measure again (past Go's forced GC every 2 minutes)")
	wake := fs.Bool("wake", true, "append a message for every user and check that every connection sees it")
	wakeSMTP := fs.String("wake-smtp", "", "instead of APPENDs: deliver one message to all users over SMTP at this host:port")
	wakeLMTP := fs.String("wake-lmtp", "", "the same over LMTP")
	compress := fs.Bool("compress", false, "COMPRESS DEFLATE (RFC 4978) after the login")
	rcptFmt := fs.String("rcpt-fmt", "", "recipient address format for -wake-smtp/-wake-lmtp (default -user-fmt)")
	fs.Parse(args)
	addrs := strings.Split(*addrList, ",")
	if *rcptFmt == "" {
		*rcptFmt = *userFmt
	}
	var pids []int
	for _, p := range strings.Split(*pidList, ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			pids = append(pids, v)
		}
	}
	srcs, err := sourceAddrs(*srcFirst, *srcCount)
	if err != nil {
		return err
	}
	var rss0 int64 // RSS before the connections, KiB
	if len(pids) > 0 {
		rss, pss, procs := memory(pids)
		rss0 = rss
		fmt.Printf("before: %d processes, RSS %.1f MB, PSS %.1f MB\n", procs, float64(rss)/1024, float64(pss)/1024)
	}
	idlers := make([]*idler, *n)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, *par)
	start := time.Now()
	for i := range idlers {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			user := fmt.Sprintf(*userFmt, *first+i%*users)
			a := addrs[i%len(addrs)]
			c, err := startIdle(a, srcs[i%len(srcs)], user, *pass, *compress)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			idlers[i] = &idler{c: c, addr: a}
		}()
		if (i+1)%1000 == 0 {
			fmt.Fprintf(os.Stderr, "  %d connections started (%.0f s)\n", i+1, time.Since(start).Seconds())
		}
	}
	wg.Wait()
	up := int64(*n) - failed.Load()
	fmt.Printf("%d of %d connections authenticated, INBOX selected, in IDLE after %.1f s (from %d source addresses, to %d servers)\n",
		up, *n, time.Since(start).Seconds(), len(srcs), len(addrs))
	if e := firstErr.Load(); e != nil {
		fmt.Printf("first failure: %v\n", e)
	}
	var dropped atomic.Int64
	var woken atomic.Int64
	for _, id := range idlers {
		if id == nil {
			continue
		}
		go id.watch(&woken, &dropped)
	}
	measure := func(after time.Duration) {
		if len(pids) > 0 {
			rss, pss, procs := memory(pids)
			fmt.Printf("idle %v: %d processes, RSS %.1f MB, PSS %.1f MB (RSS %.1f KB per connection; %.1f KB each above the RSS before)\n",
				after, procs, float64(rss)/1024, float64(pss)/1024, float64(rss)/float64(max(up, 1)), float64(rss-rss0)/float64(max(up, 1)))
		}
	}
	time.Sleep(*settle)
	measure(*settle)
	if *hold > 0 {
		time.Sleep(*hold)
		measure(*settle + *hold)
	}
	if *wake && up > 0 {
		t := time.Now()
		var accepted time.Time
		switch {
		case *wakeSMTP != "" || *wakeLMTP != "":
			rcpts := make([]string, *users)
			for u := range rcpts {
				rcpts[u] = fmt.Sprintf(*rcptFmt, *first+u)
			}
			a, lmtp := *wakeSMTP, false
			if a == "" {
				a, lmtp = *wakeLMTP, true
			}
			if err := deliverOne(a, lmtp, rcpts); err != nil {
				return fmt.Errorf("wake delivery: %w", err)
			}
			accepted = time.Now()
			fmt.Printf("wake: one message to %d users accepted by %s after %.1f ms\n", *users, a, msSince(t, accepted))
		default:
			for u := 0; u < *users; u++ {
				if err := appendOne(addrs[0], fmt.Sprintf(*userFmt, *first+u), *pass); err != nil {
					return err
				}
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for woken.Load()+dropped.Load() < up && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Printf("wake: %d of %d connections saw the new message within %.2f s of the start of the wake\n",
			woken.Load(), up, time.Since(t).Seconds())
		reportWake(idlers, addrs, t, accepted)
		if len(pids) > 0 {
			rss, pss, procs := memory(pids)
			fmt.Printf("after wake: %d processes, RSS %.1f MB, PSS %.1f MB\n", procs, float64(rss)/1024, float64(pss)/1024)
		}
	}
	if d := dropped.Load(); d > 0 {
		fmt.Printf("%d connections were closed by the server\n", d)
	}
	for _, id := range idlers {
		if id != nil {
			id.c.close()
		}
	}
	if failed.Load() > 0 || dropped.Load() > 0 {
		return fmt.Errorf("%d connections failed, %d dropped", failed.Load(), dropped.Load())
	}
	return nil
}

func sourceAddrs(first string, n int) ([]string, error) {
	ip := net.ParseIP(first).To4()
	if ip == nil || !ip.IsLoopback() || n < 1 || int(ip[3])+n > 255 {
		return nil, fmt.Errorf("source addresses: want an IPv4 loopback address and a count that stays in its /24")
	}
	out := make([]string, n)
	for i := range out {
		a := append(net.IP(nil), ip...)
		a[3] += byte(i)
		out[i] = a.String()
	}
	return out, nil
}

func startIdle(addr, src, user, pass string, compress bool) (*client, error) {
	c, err := dial(addr, src)
	if err != nil {
		return nil, err
	}
	c.c.SetDeadline(time.Now().Add(5 * time.Minute))
	if err := c.login(user, pass); err != nil {
		c.close()
		return nil, err
	}
	if compress {
		if err := c.compress(); err != nil {
			c.close()
			return nil, err
		}
	}
	if _, err := c.selectBox(""); err != nil {
		c.close()
		return nil, err
	}
	c.bw.WriteString(c.tag() + " IDLE\r\n")
	if err := c.bw.Flush(); err != nil {
		c.close()
		return nil, err
	}
	for {
		r, err := c.readResponse()
		if err != nil {
			c.close()
			return nil, fmt.Errorf("IDLE: %w", err)
		}
		if bytes.HasPrefix(r, []byte("+")) {
			break
		}
	}
	c.c.SetDeadline(time.Time{})
	return c, nil
}

// watch reads the IDLE connection's responses until it closes.
func (id *idler) watch(woken, dropped *atomic.Int64) {
	for {
		r, err := id.c.readResponse()
		if err != nil {
			if !id.woken.Load() {
				dropped.Add(1)
			}
			return
		}
		if bytes.HasSuffix(r, []byte(" EXISTS")) && !id.woken.Swap(true) {
			id.at.Store(time.Now().UnixNano())
			woken.Add(1)
		}
	}
}

// appendOne adds a small message to a user's INBOX.
func appendOne(addr, user, pass string) error {
	c, err := dial(addr, "")
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.login(user, pass); err != nil {
		return err
	}
	msg := "From: Bench <bench@bench.test>\r\nTo: " + user + "\r\nSubject: wake up\r\n" +
		"Message-ID: <wake." + strconv.FormatInt(time.Now().UnixNano(), 36) + "@bench.test>\r\n\r\nNew mail.\r\n"
	tag := c.tag()
	c.bw.WriteString(tag + " APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	if err := c.bw.Flush(); err != nil {
		return err
	}
	if err := c.wait(tag, "APPEND", nil); err != nil {
		return err
	}
	return c.run("LOGOUT", nil)
}

func msSince(t0, t time.Time) float64 { return float64(t.Sub(t0).Microseconds()) / 1000 }

// reportWake prints, per server, when its connections saw EXISTS: the
// median and the last, counted from t0 (the start of the wake) and from
// accepted (the delivery's final reply), when set.
func reportWake(idlers []*idler, addrs []string, t0, accepted time.Time) {
	all := map[string][]time.Duration{}
	for _, id := range idlers {
		if id == nil || !id.woken.Load() {
			continue
		}
		d := time.Unix(0, id.at.Load()).Sub(t0)
		all[id.addr] = append(all[id.addr], d)
		all[""] = append(all[""], d)
	}
	for _, a := range append([]string{""}, addrs...) {
		ds := all[a]
		if len(ds) == 0 || (a != "" && len(addrs) == 1) {
			continue
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		name := "all servers"
		if a != "" {
			name = a
		}
		line := fmt.Sprintf("EXISTS at %s: %d connections, median %.1f ms, last %.1f ms after the wake started",
			name, len(ds), float64(ds[len(ds)/2].Microseconds())/1000, float64(ds[len(ds)-1].Microseconds())/1000)
		if !accepted.IsZero() {
			line += fmt.Sprintf(" (last %.1f ms after the delivery was accepted)",
				float64((ds[len(ds)-1]-accepted.Sub(t0)).Microseconds())/1000)
		}
		fmt.Println(line)
	}
}
