package queue

import (
	"context"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// runner is the state of Run: the messages in flight and the slots they
// hold. Only Run's goroutine touches it.
type runner struct {
	s         *Service
	active    map[string][]string // message ID -> domains in flight
	perDomain map[string]int
	total     int
	done      chan string
	wg        sync.WaitGroup
}

// Run delivers queued mail until ctx ends, then waits for the attempts in
// flight (they end with ctx) and returns. Due mail is looked for when
// Enqueue wakes it, when an attempt ends, and every Config.Poll.
func (s *Service) Run(ctx context.Context) {
	r := &runner{s: s, active: make(map[string][]string), perDomain: make(map[string]int), done: make(chan string)}
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		r.fill(ctx)
		select {
		case <-ctx.Done():
			r.drain()
			return
		case <-s.wake:
		case <-tick.C:
		case id := <-r.done:
			r.release(id)
		}
	}
}

// drain waits for the attempts in flight, releasing their slots.
func (r *runner) drain() {
	go func() { r.wg.Wait(); close(r.done) }()
	for id := range r.done {
		r.release(id)
	}
}

func (r *runner) release(id string) {
	for _, d := range r.active[id] {
		r.perDomain[d]--
		if r.perDomain[d] <= 0 {
			delete(r.perDomain, d)
		}
		r.total--
	}
	delete(r.active, id)
}

// fill starts attempts while slots are free: new mail first, then the
// deferred mail that is due.
func (r *runner) fill(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	st := r.s.d.Store
	list := func(ids []string, err error) bool {
		if err != nil {
			r.s.d.Log.Error("reading the queue", "err", err)
			return false
		}
		for _, id := range ids {
			if r.total >= r.s.cfg.MaxActive {
				return false
			}
			r.start(ctx, id)
		}
		return r.total < r.s.cfg.MaxActive
	}
	// At most len(active) of the listed messages are in flight already.
	n := r.s.cfg.MaxActive - r.total + len(r.active)
	if n <= len(r.active) {
		return
	}
	if list(st.PendingIDs(ctx, n)) {
		list(st.DueIDs(ctx, r.s.d.Now(), n))
	}
}

// start launches the attempts of one message, one per destination domain
// with a free slot; the message is finished as a whole in one goroutine.
func (r *runner) start(ctx context.Context, id string) {
	if _, busy := r.active[id]; busy {
		return
	}
	m, err := r.s.d.Store.QueuedMessage(ctx, id)
	if err != nil {
		if !store.IsKind(err, store.KindNotFound) {
			r.s.d.Log.Error("reading a queued message", "queue_id", id, "err", err)
		}
		return
	}
	groups := r.take(groupDue(m, r.s.d.Now()))
	if len(groups) == 0 {
		return
	}
	domains := make([]string, 0, len(groups))
	for d := range groups {
		domains = append(domains, d)
	}
	r.active[id] = domains
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.s.process(ctx, &m, groups)
		r.done <- id
	}()
}

// take keeps the groups whose domain has a free slot and claims the slots.
func (r *runner) take(groups map[string][]int) map[string][]int {
	for d := range groups {
		if r.total >= r.s.cfg.MaxActive || r.perDomain[d] >= r.s.cfg.MaxPerDomain {
			delete(groups, d)
			continue
		}
		r.perDomain[d]++
		r.total++
	}
	return groups
}

// groupDue groups the recipients due at now by domain (indexes in m.Rcpts).
func groupDue(m store.QueuedMessage, now time.Time) map[string][]int {
	g := make(map[string][]int)
	for i, rc := range m.Rcpts {
		if due(rc, now) {
			g[rc.Domain] = append(g[rc.Domain], i)
		}
	}
	return g
}
