package screen

import (
	"net/netip"
	"sync"
	"time"
)

// maxTracked bounds the clients a table remembers (about 100 bytes an
// entry): past it, entries idle for two windows are dropped, and if that
// frees nothing, new clients go uncounted until it does.
const maxTracked = 1 << 16

// rateWindow is the window of the per-minute limits.
const rateWindow = time.Minute

// rateTable counts events per client in a sliding window of one minute:
// the count of the current minute plus the part of the previous minute's
// count that the window still covers (a sliding-window counter).
type rateTable struct {
	mu sync.Mutex
	m  map[netip.Prefix]*counter
}

type counter struct {
	start     time.Time // the current minute began
	cur, prev int
}

func newRateTable() *rateTable { return &rateTable{m: map[netip.Prefix]*counter{}} }

// take counts one event of client at now when the client's rate is below
// limit per minute, and reports whether it was.
func (t *rateTable) take(client netip.Prefix, now time.Time, limit int) bool {
	if limit <= 0 || !client.IsValid() {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.m[client]
	if !ok {
		if len(t.m) >= maxTracked && !t.prune(now) {
			return true
		}
		c = &counter{start: now}
		t.m[client] = c
	}
	switch since := now.Sub(c.start); {
	case since >= 2*rateWindow:
		c.start, c.cur, c.prev = now, 0, 0
	case since >= rateWindow:
		c.start, c.cur, c.prev = c.start.Add(rateWindow), 0, c.cur
	}
	covered := 1 - float64(now.Sub(c.start))/float64(rateWindow)
	if float64(c.prev)*covered+float64(c.cur) >= float64(limit) {
		return false
	}
	c.cur++
	return true
}

// prune drops the clients idle for two windows; it reports whether any
// were.
func (t *rateTable) prune(now time.Time) bool {
	n := len(t.m)
	for k, c := range t.m {
		if now.Sub(c.start) >= 2*rateWindow {
			delete(t.m, k)
		}
	}
	return len(t.m) < n
}

// passTable remembers the clients that passed the pregreet test, for a
// time (postscreen's cache): they are not made to wait again.
type passTable struct {
	mu sync.Mutex
	m  map[netip.Prefix]time.Time // until when
}

func newPassTable() *passTable { return &passTable{m: map[netip.Prefix]time.Time{}} }

func (t *passTable) passed(client netip.Prefix, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.m[client]
	return ok && now.Before(until)
}

func (t *passTable) add(client netip.Prefix, now, until time.Time) {
	if !client.IsValid() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxTracked {
		for k, u := range t.m {
			if now.After(u) {
				delete(t.m, k)
			}
		}
		if len(t.m) >= maxTracked {
			return
		}
	}
	t.m[client] = until
}
