package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on
// Linux's every architecture that matters here).
const clockTick = 10 * time.Millisecond

// treeCPU sums the CPU time (user + system) of the process tree rooted at
// pid, with the time of its children that have exited and been waited for
// (cutime + cstime: Dovecot's per-connection processes end with their
// connection and their master collects them).
func treeCPU(pid int) (time.Duration, error) {
	type proc struct {
		ppid  int
		ticks int64
	}
	procs := map[int]proc{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ... utime(14) stime(15) cutime(16) cstime(17)
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 15 {
			continue
		}
		p, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		ppid, _ := strconv.Atoi(f[1])
		var t int64
		for _, k := range f[11:15] {
			v, _ := strconv.ParseInt(k, 10, 64)
			t += v
		}
		procs[p] = proc{ppid: ppid, ticks: t}
	}
	if _, ok := procs[pid]; !ok {
		return 0, fmt.Errorf("no process %d", pid)
	}
	var sum int64
	for p, pr := range procs {
		// p is in the tree when pid is among its ancestors.
		for q := p; ; {
			if q == pid {
				sum += pr.ticks
				break
			}
			next, ok := procs[q]
			if !ok || next.ppid == q || next.ppid == 0 {
				break
			}
			q = next.ppid
		}
	}
	return time.Duration(sum) * clockTick, nil
}

// treesCPU sums treeCPU over several process trees.
func treesCPU(pids []int) (time.Duration, error) {
	var sum time.Duration
	for _, p := range pids {
		t, err := treeCPU(p)
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}
