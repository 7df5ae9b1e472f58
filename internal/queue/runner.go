package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// runner is the state of Run: the messages this runner has claimed in the
// store (in flight, or waiting for a slot) and the slots they hold. The
// claim, a lease in the store, is the truth about who sends a message
// (docs/architecture.md §Queue); the slots are this process's own limits.
// Only Run's goroutine touches it.
type runner struct {
	s    *Service
	held map[string]*claimed
	// waiting lists, in claim order, the held messages whose due domains
	// had no free slot.
	waiting   []string
	perDomain map[string]int
	total     int
	done      chan string
	wg        sync.WaitGroup
	// newOnly makes fill claim new mail only, not deferred mail that is
	// due (after an attempt ended or new mail came in: retries are looked
	// for at each poll and on Wake).
	newOnly bool
}

// claimed is a message the runner holds a claim on.
type claimed struct {
	m       store.QueuedMessage
	domains []string                // in flight to these; nil while waiting
	cancel  context.CancelCauseFunc // ends the attempt when the claim is lost
	// safeUntil (this process's clock) is when the last lease known to
	// be held, less the safety margin, runs out: nothing of the message
	// may be sent after it (leaseMargin).
	safeUntil time.Time
	// expire ends the attempt at safeUntil; reset at each renewal.
	expire *time.Timer
	// released is set by the attempt's goroutine once it has released
	// the claim, before the runner learns on done that it ended.
	released atomic.Bool
}

// errClaimLost ends the attempt of a message whose claim was lost.
var errClaimLost = errors.New("queue claim lost")

// errLeaseRunningOut ends the attempt of a message whose lease was not
// renewed in time: it is treated as lost, since another runner may take
// the message over once the lease has run out.
var errLeaseRunningOut = fmt.Errorf("%w: lease not renewed in time", errClaimLost)

// leaseMargin is how long before the end of the last lease known to be
// held a runner stops sending (docs/architecture.md §Queue): the time an
// attempt takes to stop, and some clock skew between processes. Each
// renewal is cut off after renewTimeout, so that a store that hangs does
// not stall the runner, and a renewal begun before the margin ends
// before it.
func leaseMargin(lease time.Duration) time.Duration  { return lease / 4 }
func renewTimeout(lease time.Duration) time.Duration { return max(lease/8, time.Millisecond) }

func newRunner(s *Service) *runner {
	return &runner{s: s, held: make(map[string]*claimed), perDomain: make(map[string]int), done: make(chan string)}
}

// Run delivers queued mail until ctx ends, then waits for the attempts in
// flight (they end with ctx), releases its claims and returns. New mail is
// looked for when Enqueue signals it and when an attempt ends; deferred
// mail that is due on Wake and every Config.Poll. The leases of the
// claims held are renewed every Config.Lease/4; an attempt whose lease
// was not renewed in time is stopped leaseMargin before the lease ends.
func (s *Service) Run(ctx context.Context) {
	r := newRunner(s)
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	renew := time.NewTicker(max(s.cfg.Lease/4, time.Millisecond))
	defer renew.Stop()
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
			r.newOnly = false
		case <-renew.C:
			r.renew(ctx)
			r.newOnly = true
		case id := <-r.done:
			r.finished(id)
			r.finishedReady()
			r.newOnly = true
		}
	}
}

// finishedReady takes the attempts that have ended meanwhile, so that one
// fill serves them all.
func (r *runner) finishedReady() {
	for {
		select {
		case id := <-r.done:
			r.finished(id)
		default:
			return
		}
	}
}

// drain waits for the attempts in flight, then releases the claims of
// the messages still waiting for a slot, so that another runner may take
// them at once.
func (r *runner) drain() {
	go func() { r.wg.Wait(); close(r.done) }()
	for id := range r.done {
		r.finished(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	for _, id := range r.waiting {
		r.s.releaseClaim(ctx, &r.held[id].m, store.QueueChange{})
		delete(r.held, id)
	}
	r.waiting = nil
}

// finished frees the slots of an attempt that ended (its claim was
// released by process).
func (r *runner) finished(id string) {
	if c := r.held[id]; c != nil {
		if c.expire != nil {
			c.expire.Stop()
		}
		for _, d := range c.domains {
			r.perDomain[d]--
			if r.perDomain[d] <= 0 {
				delete(r.perDomain, d)
			}
			r.total--
		}
	}
	delete(r.held, id)
}

// renew extends the leases of the held messages. A message no longer
// held (deleted, or taken over after its lease ran out while this
// process stalled) is dropped, and its attempt, if any, is stopped. When
// renewals fail, the attempts stop at their claims' safeUntil (their
// timers), and the waiting messages past it are dropped here.
func (r *runner) renew(ctx context.Context) {
	if len(r.held) == 0 {
		return
	}
	var ids []string
	for id, c := range r.held {
		if !c.released.Load() {
			ids = append(ids, id)
		}
	}
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, renewTimeout(r.s.cfg.Lease))
	lost, err := r.s.d.Store.RenewClaims(rctx, r.s.cfg.Owner, ids, r.s.d.Now().Add(r.s.cfg.Lease))
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			r.s.d.Log.Error("renewing queue claims", "err", err)
		}
		r.dropExpiring()
		return
	}
	r.renewed(ids, start)
	for _, id := range lost {
		c := r.held[id]
		if c.released.Load() {
			continue // ended meanwhile
		}
		r.s.d.Log.Warn("queue claim lost", msgAttrs(&c.m, "in_flight", c.cancel != nil)...)
		if c.cancel != nil {
			c.cancel(errClaimLost) // process reports the end on r.done
			continue
		}
		r.unwait(id)
		delete(r.held, id)
	}
}

// renewed moves the safeUntil of the claims on ids, renewed by a call
// begun at start, and their attempts' timers.
func (r *runner) renewed(ids []string, start time.Time) {
	until := r.s.safeUntil(start)
	for _, id := range ids {
		c := r.held[id]
		c.safeUntil = until
		if c.expire != nil {
			c.expire.Reset(time.Until(until))
		}
	}
}

// dropExpiring drops the waiting messages whose claims are past their
// safeUntil: their leases may run out before they find a slot.
func (r *runner) dropExpiring() {
	for id, c := range r.held {
		if c.cancel == nil && !time.Now().Before(c.safeUntil) {
			r.s.d.Log.Warn("queue claim not renewed in time", msgAttrs(&c.m, "in_flight", false)...)
			r.unwait(id)
			delete(r.held, id)
		}
	}
}

// safeUntil is the safeUntil of a lease asked for at start.
func (s *Service) safeUntil(start time.Time) time.Time {
	return start.Add(s.cfg.Lease - leaseMargin(s.cfg.Lease))
}

func (r *runner) heldIDs() []string {
	ids := make([]string, 0, len(r.held))
	for id := range r.held {
		ids = append(ids, id)
	}
	return ids
}

func (r *runner) unwait(id string) {
	for i, w := range r.waiting {
		if w == id {
			r.waiting = append(r.waiting[:i], r.waiting[i+1:]...)
			return
		}
	}
}

// fill starts the held messages that were waiting for a slot, then claims
// more while slots are free: new mail first, then the deferred mail that
// is due, never for a domain without a free slot.
func (r *runner) fill(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	start, now := time.Now(), r.s.d.Now()
	r.startWaiting(ctx, now)
	// Messages waiting for a slot count against the claims, so that this
	// runner never holds more than twice MaxActive.
	limit := min(r.s.cfg.MaxActive-r.total, r.s.cfg.MaxActive-len(r.waiting))
	if limit <= 0 {
		return
	}
	// Held: an attempt releases its claim before it reports its end on
	// r.done, and must not be taken for a new claim meanwhile.
	ms, err := r.s.d.Store.ClaimQueued(ctx, store.ClaimRequest{Owner: r.s.cfg.Owner, Now: now, Lease: r.s.cfg.Lease,
		Limit: limit, NewOnly: r.newOnly, Skip: r.fullDomains(), Held: r.heldIDs()})
	if err != nil {
		if ctx.Err() == nil {
			r.s.d.Log.Error("claiming queued mail", "err", err)
		}
		return
	}
	for _, m := range ms {
		c := &claimed{m: m, safeUntil: r.s.safeUntil(start)}
		r.held[m.ID] = c
		r.try(ctx, c, now)
	}
}

// startWaiting starts the waiting messages that now find a free slot.
func (r *runner) startWaiting(ctx context.Context, now time.Time) {
	if len(r.waiting) == 0 || r.total >= r.s.cfg.MaxActive {
		return
	}
	wait := r.waiting
	r.waiting = nil
	for _, id := range wait {
		r.try(ctx, r.held[id], now)
	}
}

// try starts the attempts of a held message, one per due destination
// domain with a free slot; the message is finished as a whole in one
// goroutine, which releases its claim. Without a free slot it waits;
// with nothing due its claim is released.
func (r *runner) try(ctx context.Context, c *claimed, now time.Time) {
	if !time.Now().Before(c.safeUntil) {
		// Its lease may run out under the attempt: another runner
		// takes it then.
		r.s.d.Log.Warn("queue claim not renewed in time", msgAttrs(&c.m, "in_flight", false)...)
		delete(r.held, c.m.ID)
		return
	}
	due := groupDue(c.m, now)
	if len(due) == 0 {
		r.s.releaseClaim(ctx, &c.m, store.QueueChange{})
		delete(r.held, c.m.ID)
		return
	}
	groups := r.take(due)
	if len(groups) == 0 {
		r.waiting = append(r.waiting, c.m.ID)
		return
	}
	for d := range groups {
		c.domains = append(c.domains, d)
	}
	actx, cancel := context.WithCancelCause(ctx)
	c.cancel = cancel
	c.expire = time.AfterFunc(time.Until(c.safeUntil), func() { cancel(errLeaseRunningOut) })
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel(nil)
		r.s.process(actx, &c.m, groups)
		c.released.Store(true)
		r.done <- c.m.ID
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

// fullDomains lists the domains without a free slot.
func (r *runner) fullDomains() []string {
	var out []string
	for d, n := range r.perDomain {
		if n >= r.s.cfg.MaxPerDomain {
			out = append(out, d)
		}
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
