package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The mixed load of bench/imapmixed.sh: clients that each loop through
// sessions of LOGIN, SELECT, FETCH (flags, envelope, a whole body),
// STORE of flags, STORE \Deleted + EXPUNGE and APPEND, like imaptest's
// default profile, for a bounded time, checking every reply against a
// model of their own mailbox (model.go); the servers' CPU time per
// command comes from /proc (cpu.go).

// mixedServer is one server of the mixed load: name=host:port,user
// format (with %d),password,pids of the server's process trees (joined
// by "+": Petrel's and its PostgreSQL server's).
type mixedServer struct {
	name, addr, userFmt, pass string
	pids                      []int
}

type mixedServers []mixedServer

func (l *mixedServers) String() string { return fmt.Sprint(*l) }

func (l *mixedServers) Set(v string) error {
	name, rest, ok := strings.Cut(v, "=")
	parts := strings.Split(rest, ",")
	if !ok || len(parts) != 4 || !strings.Contains(parts[1], "%d") {
		return fmt.Errorf("want name=host:port,user-format-with-%%d,password,pid[+pid...]")
	}
	if err := loopbackOnly(parts[0]); err != nil {
		return err
	}
	var pids []int
	for _, f := range strings.Split(parts[3], "+") {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return fmt.Errorf("bad pid %q", f)
		}
		pids = append(pids, pid)
	}
	*l = append(*l, mixedServer{name: name, addr: parts[0], userFmt: parts[1], pass: parts[2], pids: pids})
	return nil
}

// mixedConf is the shape of the load.
type mixedConf struct {
	clients, userFirst int
	duration           time.Duration
	rounds             int // rounds of FETCH/STORE/EXPUNGE/APPEND per session
	size               int // messages each mailbox is kept near
	corpus             []corpusMessage
	sameBodies         bool // APPEND the corpus as it is (else a header line of its own first)
}

// mixedResult is one server's run.
type mixedResult struct {
	elapsed  time.Duration
	cpu      time.Duration // the server's process tree, utime+stime
	sessions int
	counts   map[string]int           // commands by name
	lat      map[string]time.Duration // their summed latency
}

func (r *mixedResult) commands() int {
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}

func (r *mixedResult) add(o *mixedResult) {
	r.sessions += o.sessions
	for k, v := range o.counts {
		r.counts[k] += v
		r.lat[k] += o.lat[k]
	}
}

func newResult() *mixedResult {
	return &mixedResult{counts: map[string]int{}, lat: map[string]time.Duration{}}
}

// cmdMixed runs the mixed load on each server in turn (runs times, the
// order alternating) and prints commands/s and CPU per command.
func cmdMixed(args []string) error {
	fs := flag.NewFlagSet("mixed", flag.ExitOnError)
	var servers mixedServers
	fs.Var(&servers, "server", "name=host:port,user-format,password,pid[+pid...] (repeat; the first is the reference)")
	var conf mixedConf
	fs.IntVar(&conf.clients, "clients", 20, "concurrent clients, one user (and mailbox) each")
	fs.IntVar(&conf.userFirst, "user-first", 1, "first user number (the user format's %d)")
	fs.DurationVar(&conf.duration, "duration", 30*time.Second, "measured time per server and run")
	fs.IntVar(&conf.rounds, "rounds", 5, "rounds of FETCH/STORE/EXPUNGE/APPEND per session")
	fs.IntVar(&conf.size, "size", 30, "messages each mailbox is kept near (imaptest's default)")
	mbox := fs.String("mbox", "", "mbox file (bench/genmbox) whose first messages are APPENDed")
	corpusN := fs.Int("corpus", 200, "messages of the mbox to use")
	runs := fs.Int("runs", 1, "runs per server")
	fs.BoolVar(&conf.sameBodies, "same-bodies", false, "APPEND the corpus messages as they are, the same bodies in every mailbox (else each gets a header line of its own)")
	fs.Parse(args)
	if len(servers) == 0 || *mbox == "" || conf.clients <= 0 || conf.size <= 0 {
		return fmt.Errorf("need -server, -mbox, -clients and -size")
	}
	if conf.duration <= 0 || conf.duration > 30*time.Minute {
		return fmt.Errorf("-duration: between 0 and 30m")
	}
	var err error
	if conf.corpus, err = loadCorpus(*mbox, *corpusN); err != nil {
		return err
	}
	res := make([][]*mixedResult, len(servers))
	for r := 0; r < *runs; r++ {
		for k := range servers {
			j := k
			if r%2 == 1 {
				j = len(servers) - 1 - k
			}
			s := servers[j]
			out, err := runMixed(s, conf)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			res[j] = append(res[j], out)
			fmt.Fprintf(os.Stderr, "  run %d %-14s %7d commands in %5.1f s = %8.1f/s, CPU %6.2f s = %6.1f µs/command, %d sessions\n",
				r+1, s.name, out.commands(), out.elapsed.Seconds(), float64(out.commands())/out.elapsed.Seconds(),
				out.cpu.Seconds(), float64(out.cpu.Microseconds())/float64(out.commands()), out.sessions)
		}
	}
	printMixed(servers, res, conf)
	return nil
}

// runMixed prepares the clients' mailboxes (not measured), then runs the
// load for conf.duration and measures it.
func runMixed(s mixedServer, conf mixedConf) (*mixedResult, error) {
	clients := make([]*mixedClient, conf.clients)
	errs := make(chan error, conf.clients)
	var wg sync.WaitGroup
	for i := range clients {
		rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
		clients[i] = &mixedClient{srv: s, user: fmt.Sprintf(s.userFmt, conf.userFirst+i), conf: &conf, rng: rng, res: newResult()}
		wg.Add(1)
		go func(c *mixedClient) {
			defer wg.Done()
			if err := c.prepare(); err != nil {
				errs <- fmt.Errorf("%s: prepare: %w", c.user, err)
			}
		}(clients[i])
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	cpu0, err := treesCPU(s.pids)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	deadline := start.Add(conf.duration)
	for _, c := range clients {
		c.res = newResult()
		wg.Add(1)
		go func(c *mixedClient) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := c.session(deadline); err != nil {
					errs <- fmt.Errorf("%s: %w", c.user, err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := treesCPU(s.pids)
	if err != nil {
		return nil, err
	}
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	out := newResult()
	out.elapsed, out.cpu = elapsed, cpu1-cpu0
	for _, c := range clients {
		out.add(c.res)
	}
	return out, nil
}

// printMixed prints each server's median run and the command mix.
func printMixed(servers mixedServers, res [][]*mixedResult, conf mixedConf) {
	fmt.Printf("%d clients, %s per run, mailboxes near %d messages, %d rounds per session; median of %d runs\n",
		conf.clients, conf.duration, conf.size, conf.rounds, len(res[0]))
	fmt.Printf("%-14s %10s %10s %12s %14s %10s %10s\n", "server", "commands", "sessions", "commands/s", "CPU µs/command", "ratio/s", "ratio CPU")
	rate := func(r *mixedResult) float64 { return float64(r.commands()) / r.elapsed.Seconds() }
	perCmd := func(r *mixedResult) float64 { return float64(r.cpu.Microseconds()) / float64(r.commands()) }
	median := func(rs []*mixedResult, f func(*mixedResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	ref, refCPU := median(res[0], rate), median(res[0], perCmd)
	for j, s := range servers {
		last := res[j][len(res[j])-1]
		fmt.Printf("%-14s %10d %10d %12.1f %14.1f %9.2fx %9.2fx\n", s.name, last.commands(), last.sessions,
			median(res[j], rate), median(res[j], perCmd), median(res[j], rate)/ref, refCPU/median(res[j], perCmd))
	}
	fmt.Printf("command mix and mean latency (last run):\n%-14s", "")
	names := make([]string, 0, len(res[0][0].counts))
	for k := range res[0][0].counts {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Printf(" %16s", k)
	}
	fmt.Println()
	for j, s := range servers {
		last := res[j][len(res[j])-1]
		fmt.Printf("%-14s", s.name)
		for _, k := range names {
			n := last.counts[k]
			ms := 0.0
			if n > 0 {
				ms = float64(last.lat[k].Microseconds()) / 1000 / float64(n)
			}
			fmt.Printf(" %7d %6.2fms", n, ms)
		}
		fmt.Println()
	}
	fmt.Println("ratio/s: commands/s over the first server's; ratio CPU: the first server's CPU per command over this one's (>1: cheaper)")
}
