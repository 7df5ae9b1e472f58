package main

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// server is one IMAP server under test: name=host:port,user,password.
type server struct {
	name, addr, user, pass string
}

type serverList []server

func (l *serverList) String() string { return fmt.Sprint(*l) }

func (l *serverList) Set(v string) error {
	name, rest, ok := strings.Cut(v, "=")
	parts := strings.Split(rest, ",")
	if !ok || len(parts) != 3 {
		return fmt.Errorf("want name=host:port,user,password")
	}
	if err := loopbackOnly(parts[0]); err != nil {
		return err
	}
	*l = append(*l, server{name: name, addr: parts[0], user: parts[1], pass: parts[2]})
	return nil
}

// opEnv is what every measured operation gets.
type opEnv struct {
	n       int    // messages in the INBOX
	word    string // for SEARCH TEXT
	changes int    // flag changes before the CONDSTORE resync
	fresh   int    // first sequence number of this run's never-fetched range
}

// op measures one operation on one server and returns the time of the
// measured part and a result that must be the same on every server.
type op struct {
	name string
	run  func(s server, e opEnv) (time.Duration, string, error)
}

var ops = []op{
	{"SELECT INBOX (just changed)", opSelectChanged},
	{"SELECT INBOX (unchanged)", opSelectQuiet},
	{"UID FETCH 1:* (UID FLAGS)", opFetchFlags},
	{"FETCH 1:200 (ENVELOPE BODYSTRUCTURE)", opEnvelope},
	{"FETCH x:x+199 (ENVELOPE BODYSTRUCTURE)", opEnvelopeFresh},
	{`UID SEARCH TEXT "word"`, opSearch},
	{"UID SORT (DATE)", opWhole("UID SORT (DATE) UTF-8 ALL", "* SORT")},
	{"UID SORT (SUBJECT)", opWhole("UID SORT (SUBJECT) UTF-8 ALL", "* SORT")},
	{"UID THREAD REFERENCES", opWhole("UID THREAD REFERENCES UTF-8 ALL", "* THREAD")},
	{"CONDSTORE resync after flag changes", opResync},
	{"UID FETCH 1:* (FLAGS ENVELOPE)", opFetchAll},
	{"the same after COMPRESS DEFLATE", opFetchAllCompressed},
}

// session logs in and, unless sel is empty, selects INBOX.
func session(s server, sel bool) (*client, error) {
	c, err := dial(s.addr, "")
	if err != nil {
		return nil, err
	}
	if err := c.login(s.user, s.pass); err != nil {
		c.close()
		return nil, err
	}
	if sel {
		if _, err := c.selectBox(""); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func logout(c *client) {
	c.run("LOGOUT", nil)
	c.close()
}

// opSelectChanged times SELECT after another session changed a flag:
// Dovecot's Maildir then reads the directory again (the flags are in the
// file names).
func opSelectChanged(s server, e opEnv) (time.Duration, string, error) {
	other, err := session(s, true)
	if err != nil {
		return 0, "", err
	}
	seq := strconv.Itoa(e.n/2 + 1)
	err = other.run(`STORE `+seq+` +FLAGS.SILENT (\Answered)`, nil)
	if err == nil {
		err = other.run(`STORE `+seq+` -FLAGS.SILENT (\Answered)`, nil)
	}
	logout(other)
	if err != nil {
		return 0, "", err
	}
	return opSelect(s, e)
}

// opSelectQuiet times SELECT when nothing has changed since the last
// SELECT, 2 seconds ago: Dovecot's Maildir reads the directory again
// after changes until a SELECT finds it unchanged for a while.
// Under a millisecond, one measure is noise: the median of five (fresh
// connections, 200 ms apart) is the result.
func opSelectQuiet(s server, e opEnv) (time.Duration, string, error) {
	for i := 0; i < 2; i++ {
		time.Sleep(time.Second)
		if _, _, err := opSelect(s, e); err != nil {
			return 0, "", err
		}
	}
	time.Sleep(2 * time.Second)
	var ds []time.Duration
	var out string
	for i := 0; i < 5; i++ {
		d, o, err := opSelect(s, e)
		if err != nil {
			return 0, "", err
		}
		ds, out = append(ds, d), o
		time.Sleep(200 * time.Millisecond)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], out, nil
}

// opSelect times SELECT of INBOX.
func opSelect(s server, e opEnv) (time.Duration, string, error) {
	c, err := session(s, false)
	if err != nil {
		return 0, "", err
	}
	defer logout(c)
	t := time.Now()
	si, err := c.selectBox("")
	d := time.Since(t)
	if err == nil && si.exists != e.n {
		err = fmt.Errorf("EXISTS %d, want %d", si.exists, e.n)
	}
	return d, strconv.Itoa(si.exists) + " EXISTS", err
}

func opFetchFlags(s server, e opEnv) (time.Duration, string, error) {
	c, err := session(s, true)
	if err != nil {
		return 0, "", err
	}
	defer logout(c)
	n := 0
	t := time.Now()
	err = c.run("UID FETCH 1:* (UID FLAGS)", func(r []byte) {
		if isFetch(r) {
			n++
		}
	})
	d := time.Since(t)
	if err == nil && n != e.n {
		err = fmt.Errorf("%d FETCH responses, want %d", n, e.n)
	}
	return d, strconv.Itoa(n) + " FETCH", err
}

func opEnvelope(s server, e opEnv) (time.Duration, string, error) {
	return fetchEnvelopes(s, e, 1)
}

// opEnvelopeFresh fetches 200 messages that no earlier run fetched: a
// range picked at random per run, the same on every server, so neither
// has them in a cache (Dovecot's cache file, Petrel's item cache).
func opEnvelopeFresh(s server, e opEnv) (time.Duration, string, error) {
	return fetchEnvelopes(s, e, e.fresh)
}

func fetchEnvelopes(s server, e opEnv, first int) (time.Duration, string, error) {
	c, err := session(s, true)
	if err != nil {
		return 0, "", err
	}
	defer logout(c)
	n, octets := 0, 0
	t := time.Now()
	err = c.run(fmt.Sprintf("FETCH %d:%d (ENVELOPE BODYSTRUCTURE)", first, first+199), func(r []byte) {
		if isFetch(r) {
			n++
			octets += len(r)
		}
	})
	d := time.Since(t)
	want := max(0, min(200, e.n-first+1))
	if err == nil && n != want {
		err = fmt.Errorf("%d FETCH responses, want %d", n, want)
	}
	// The octets differ a little between servers (quoting, the order of
	// parameters): the count is the common result.
	_ = octets
	return d, strconv.Itoa(n) + " FETCH", err
}

func opSearch(s server, e opEnv) (time.Duration, string, error) {
	c, err := session(s, true)
	if err != nil {
		return 0, "", err
	}
	defer logout(c)
	n := -1
	t := time.Now()
	err = c.run("UID SEARCH TEXT "+quote(e.word), func(r []byte) {
		if k := countUIDs(r); k >= 0 {
			n = k
		}
	})
	return time.Since(t), strconv.Itoa(n) + " UIDs", err
}

// opWhole times a command over the whole mailbox whose one answer
// starts with prefix (SORT, THREAD); the result is the answer's length
// and FNV-1a hash, so servers that order differently show it.
func opWhole(cmd, prefix string) func(s server, e opEnv) (time.Duration, string, error) {
	return func(s server, e opEnv) (time.Duration, string, error) {
		c, err := session(s, true)
		if err != nil {
			return 0, "", err
		}
		defer logout(c)
		h := fnv.New32a()
		n := 0
		t := time.Now()
		err = c.run(cmd, func(r []byte) {
			if bytes.HasPrefix(r, []byte(prefix)) {
				h.Write(r)
				n += len(r)
			}
		})
		return time.Since(t), fmt.Sprintf("%d octets %08x", n, h.Sum32()), err
	}
}

// changedSeqs are the sequence numbers whose flags the resync run
// changes: spread over the mailbox, none of them flagged by fill.
func changedSeqs(n, k int) []int {
	var out []int
	step := max(1, n/(k+1))
	for s := step / 2; len(out) < k && s <= n; s += step {
		seq := s
		if (seq-1)%50 == 0 { // flagged by fill (flagsFor)
			seq++
		}
		out = append(out, seq)
	}
	return out
}

// opResync: a client notes HIGHESTMODSEQ and goes away; another session
// changes the flags of e.changes messages, one STORE each; the client
// comes back and resynchronises with SELECT (CONDSTORE) and UID FETCH
// CHANGEDSINCE (RFC 7162 §3.1), which is what is timed.
func opResync(s server, e opEnv) (time.Duration, string, error) {
	seqs := changedSeqs(e.n, e.changes)
	set := make([]string, len(seqs))
	for i, q := range seqs {
		set[i] = strconv.Itoa(q)
	}
	other, err := session(s, true)
	if err != nil {
		return 0, "", err
	}
	defer logout(other)
	// Start from the same state every run.
	if err := other.run(`STORE `+strings.Join(set, ",")+` -FLAGS.SILENT (\Flagged)`, nil); err != nil {
		return 0, "", err
	}
	c, err := session(s, false)
	if err != nil {
		return 0, "", err
	}
	si, err := c.selectBox(" (CONDSTORE)")
	logout(c)
	if err != nil {
		return 0, "", err
	}
	if si.highestModSeq == 0 {
		return 0, "", fmt.Errorf("no HIGHESTMODSEQ")
	}
	for _, q := range set {
		if err := other.run(`STORE `+q+` +FLAGS.SILENT (\Flagged)`, nil); err != nil {
			return 0, "", err
		}
	}
	c, err = session(s, false)
	if err != nil {
		return 0, "", err
	}
	defer logout(c)
	n := 0
	t := time.Now()
	if _, err := c.selectBox(" (CONDSTORE)"); err != nil {
		return 0, "", err
	}
	err = c.run("UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+strconv.FormatUint(si.highestModSeq, 10)+")", func(r []byte) {
		if isFetch(r) {
			n++
		}
	})
	d := time.Since(t)
	if err == nil && n != len(seqs) {
		err = fmt.Errorf("%d changed messages, want %d", n, len(seqs))
	}
	return d, strconv.Itoa(n) + " FETCH", err
}

// cmdOps times every operation on every server, runs times, the servers
// taking turns (their order alternates from run to run), and prints the
// median and minimum of each with the ratio to the first server.
func cmdOps(args []string) error {
	fs := flag.NewFlagSet("ops", flag.ExitOnError)
	var servers serverList
	fs.Var(&servers, "server", "name=host:port,user,password (repeat; the first is the reference)")
	var e opEnv
	fs.IntVar(&e.n, "n", 0, "messages in each INBOX")
	fs.StringVar(&e.word, "word", "Mallory", "word for UID SEARCH TEXT")
	fs.IntVar(&e.changes, "changes", 100, "flag changes before the CONDSTORE resync")
	runs := fs.Int("runs", 5, "runs of each operation per server")
	only := fs.String("only", "", "run only the operations whose name contains this")
	fs.Parse(args)
	if len(servers) < 1 || e.n <= 0 {
		return fmt.Errorf("need -server and -n")
	}
	type cell struct {
		times  []time.Duration
		result string
	}
	res := make([][]cell, len(ops))
	for i := range res {
		res[i] = make([]cell, len(servers))
	}
	for r := 0; r < *runs; r++ {
		e.fresh = 1 + rand.IntN(max(1, e.n-200))
		for i, o := range ops {
			if *only != "" && !strings.Contains(o.name, *only) {
				continue
			}
			for k := range servers {
				j := k
				if r%2 == 1 {
					j = len(servers) - 1 - k
				}
				d, out, err := o.run(servers[j], e)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", o.name, servers[j].name, err)
				}
				c := &res[i][j]
				c.times = append(c.times, d)
				if c.result != "" && c.result != out {
					fmt.Fprintf(os.Stderr, "%s on %s: result %q, earlier %q\n", o.name, servers[j].name, out, c.result)
				}
				c.result = out
				fmt.Fprintf(os.Stderr, "  run %d %-40s %-8s %9.5f s  %s\n", r+1, o.name, servers[j].name, d.Seconds(), out)
			}
		}
	}
	fmt.Printf("%d messages, median (min) [first] of %d runs; ratio = %s median / other's median (>1: the other is faster)\n",
		e.n, *runs, servers[0].name)
	fmt.Printf("%-40s", "operation")
	for _, s := range servers {
		fmt.Printf(" %36s", s.name)
	}
	fmt.Printf("  %s\n", "ratio")
	for i, o := range ops {
		if len(res[i][0].times) == 0 {
			continue
		}
		fmt.Printf("%-40s", strings.Replace(o.name, `"word"`, quote(e.word), 1))
		med := make([]float64, len(servers))
		for j := range servers {
			ts := slices.Clone(res[i][j].times)
			slices.Sort(ts)
			med[j] = ts[len(ts)/2].Seconds()
			fmt.Printf(" %9.5f s (%8.5f) [%8.5f]", med[j], ts[0].Seconds(), res[i][j].times[0].Seconds())
		}
		for j := 1; j < len(servers); j++ {
			fmt.Printf("  %.2fx", med[0]/med[j])
		}
		fmt.Printf("   [%s]\n", res[i][0].result)
		for j := 1; j < len(servers); j++ {
			if res[i][j].result != res[i][0].result {
				fmt.Printf("%40s results differ: %s %s, %s %s\n", "", servers[0].name, res[i][0].result, servers[j].name, res[i][j].result)
			}
		}
	}
	return nil
}
