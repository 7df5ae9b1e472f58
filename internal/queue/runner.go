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
	// newOnly makes fill look for new mail only, not for deferred mail
	// that is due (after an attempt ended or new mail came in: retries
	// are looked for at each poll and on Wake).
	newOnly bool
	// blocked holds, by message ID, the due domains of listed messages
	// that found no free slot, so that fill does not read them again
	// while those domains stay full; emptied at each poll.
	blocked map[string][]string
}

// Run delivers queued mail until ctx ends, then waits for the attempts in
// flight (they end with ctx) and returns. New mail is looked for when
// Enqueue signals it and when an attempt ends; deferred mail that is due
// on Wake and every Config.Poll.
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
			r.newOnly = false
		case <-s.newMail:
			r.newOnly = true
		case <-tick.C:
			r.newOnly, r.blocked = false, nil
		case id := <-r.done:
			r.release(id)
			r.releaseReady()
			r.newOnly = true
		}
	}
}

// releaseReady releases the attempts that have ended meanwhile, so that
// one fill serves them all.
func (r *runner) releaseReady() {
	for {
		select {
		case id := <-r.done:
			r.release(id)
		default:
			return
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
	delete(r.blocked, id)
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
	if list(st.PendingIDs(ctx, n)) && !r.newOnly {
		list(st.DueIDs(ctx, r.s.d.Now(), n))
	}
}

// start launches the attempts of one message, one per destination domain
// with a free slot; the message is finished as a whole in one goroutine.
func (r *runner) start(ctx context.Context, id string) {
	if _, busy := r.active[id]; busy {
		return
	}
	if doms, ok := r.blocked[id]; ok && r.full(doms) {
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
		if r.blocked == nil {
			r.blocked = make(map[string][]string)
		}
		r.blocked[id] = dueDomains(m, r.s.d.Now())
		return
	}
	delete(r.blocked, id)
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

// full reports whether no slot is free for any of domains.
func (r *runner) full(domains []string) bool {
	if r.total >= r.s.cfg.MaxActive {
		return true
	}
	for _, d := range domains {
		if r.perDomain[d] < r.s.cfg.MaxPerDomain {
			return false
		}
	}
	return true
}

// dueDomains lists the domains of the recipients due at now.
func dueDomains(m store.QueuedMessage, now time.Time) []string {
	var out []string
	for d := range groupDue(m, now) {
		out = append(out, d)
	}
	return out
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
