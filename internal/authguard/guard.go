package authguard

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/netserve"
)

// Config sets the limits. Zero fields take the defaults given.
type Config struct {
	// Window: failure counts are forgotten after this long without a
	// failure. Default 15 minutes.
	Window time.Duration
	// IPFree and AccountFree are the failures that cost no delay.
	// Defaults 3 and 5.
	IPFree, AccountFree int
	// IPBlock is the failures that block the client for BlockFor.
	// Default 15. (An account is never blocked, only slowed.)
	IPBlock int
	// BaseDelay is the first delay, doubled by each further failure up to
	// MaxDelay. Defaults 1 s and 16 s.
	BaseDelay, MaxDelay time.Duration
	// BlockFor is how long a block lasts. Default 15 minutes.
	BlockFor time.Duration
	// TrustFor is how long a successful login trusts its client for its
	// account. Default 30 days.
	TrustFor time.Duration
	// TrustedFailures is how many failures of a trusted pair end its
	// trust. Default 10.
	TrustedFailures int
	// AccountKey names the account a user name (as typed) logs in to, so
	// that every spelling and every address of an account counts as one
	// (the wiring sets accounts.Service.AccountKey). It is called without
	// the guard's lock held. Default: the name trimmed and lower-cased.
	AccountKey func(user string) string
	// MaxWait is how long Begin waits for attempts in flight to settle
	// when they alone stand in the way of a new one (a burst of logins
	// from one client) before refusing it. Default 5 s.
	MaxWait time.Duration
	// MaxEntries bounds each table. Default 65536.
	MaxEntries int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&c.Window, 15*time.Minute)
	defInt(&c.IPFree, 3)
	defInt(&c.AccountFree, 5)
	defInt(&c.IPBlock, 15)
	defDur(&c.BaseDelay, time.Second)
	defDur(&c.MaxDelay, 16*time.Second)
	defDur(&c.BlockFor, 15*time.Minute)
	defDur(&c.TrustFor, 30*24*time.Hour)
	defInt(&c.TrustedFailures, 10)
	defDur(&c.MaxWait, 5*time.Second)
	defInt(&c.MaxEntries, 65536)
	if c.AccountKey == nil {
		c.AccountKey = func(u string) string { return u }
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Scope says what a block applies to.
type Scope int

const (
	ScopeNone   Scope = iota
	ScopeClient       // the client address has failed too often
)

// Verdict is what Begin decides about one login attempt.
type Verdict struct {
	// Blocked: refuse the attempt without checking the password.
	Blocked bool
	// Scope is what is blocked.
	Scope Scope
	// Until is when the block ends.
	Until time.Time
	// Delay is how long to wait before checking the password.
	Delay time.Duration
}

// Wait waits out v.Delay; false when ctx ended first (the caller then
// abandons the attempt).
func (v Verdict) Wait(ctx context.Context) bool {
	if v.Delay <= 0 {
		return true
	}
	t := time.NewTimer(v.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// record is the failure state of one client, account or trusted pair.
type record struct {
	failures     int
	pending      int // attempts begun and not yet settled
	last         time.Time
	blockedUntil time.Time // clients only
	trustedUntil time.Time // pairs only
}

// pair is one (client, account).
type pair struct {
	client  netip.Prefix
	account string
}

// Guard holds the failure counts. It is safe for concurrent use.
type Guard struct {
	cfg      Config
	mu       sync.Mutex
	clients  *table[netip.Prefix, record]
	accounts *table[string, record]
	pairs    *table[pair, record]
	// settled is closed and replaced each time an attempt settles.
	settled chan struct{}
}

// New returns a Guard with the limits of cfg.
func New(cfg Config) *Guard {
	cfg = cfg.withDefaults()
	return &Guard{
		cfg:      cfg,
		clients:  newTable[netip.Prefix, record](cfg.MaxEntries),
		accounts: newTable[string, record](cfg.MaxEntries),
		pairs:    newTable[pair, record](cfg.MaxEntries),
		settled:  make(chan struct{}),
	}
}

// maxAccountKey bounds the length of a remembered account name.
const maxAccountKey = 320

func (g *Guard) accountKey(user string) string {
	account := strings.ToLower(strings.TrimSpace(g.cfg.AccountKey(user)))
	if len(account) > maxAccountKey {
		account = account[:maxAccountKey]
	}
	return account
}

// Attempt is one login attempt begun by Begin. Exactly one of Failure,
// Success or Abandon settles it; later calls do nothing.
type Attempt struct {
	g       *Guard
	c       netip.Prefix
	a       string
	trusted bool
	settled bool // under g.mu
}

// Begin decides whether a login attempt from ip for user may proceed,
// and after how long. When it may, the attempt is reserved (it counts as a
// failure until settled) and the returned Attempt must be settled; when it
// is blocked, the Attempt is nil. When only attempts in flight stand in its
// way, Begin waits up to MaxWait for them to settle.
func (g *Guard) Begin(ip netip.Addr, user string) (*Attempt, Verdict) {
	c, a := netserve.ClientKey(ip), g.accountKey(user)
	deadline := time.Now().Add(g.cfg.MaxWait) // waiting is real time
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		at, v, busy := g.begin(c, a)
		wait := time.Until(deadline)
		if !busy || wait <= 0 {
			return at, v
		}
		// Only attempts in flight stand in the way: wait for one of them
		// to settle, then decide again (a burst of a client's own logins
		// is served in turn instead of refused; a guesser's burst still
		// gets no more checks than the limit, its failures block it).
		ch := g.settled
		g.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		g.mu.Lock()
	}
}

// begin is one decision of Begin, under g.mu. busy reports a refusal that
// only attempts in flight cause.
func (g *Guard) begin(c netip.Prefix, a string) (at *Attempt, v Verdict, busy bool) {
	now := g.cfg.Now()
	p := pair{c, a}
	pr, trusted := g.pairs.get(p)
	trusted = trusted && now.Before(pr.trustedUntil)
	if trusted && g.current(pr, now) >= g.cfg.TrustedFailures {
		// Its own failures end the trust; the record keeps them, so that
		// a new success does not restore it before they are forgotten.
		trusted = false
		pr.trustedUntil = time.Time{}
		g.pairs.put(p, pr)
	}
	cr, _ := g.clients.get(c)
	ar, _ := g.accounts.get(a)
	if trusted {
		if g.count(pr, now) >= g.cfg.TrustedFailures {
			// Failures and attempts in flight together stay under the
			// failures that end the trust: a guesser behind the owner's
			// address gets no more checks in parallel than in turn.
			return nil, Verdict{Blocked: true, Scope: ScopeClient, Until: now.Add(g.cfg.BaseDelay)}, true
		}
		// The delay counts failures only: the owner's parallel logins
		// (a webmail, a client opening several connections) are not
		// failures, and the cap above bounds what is in flight.
		v.Delay = g.delay(g.current(pr, now), g.cfg.IPFree)
	} else {
		if now.Before(cr.blockedUntil) {
			return nil, Verdict{Blocked: true, Scope: ScopeClient, Until: cr.blockedUntil}, false
		}
		if cr.pending > 0 && g.count(cr, now) >= g.cfg.IPBlock {
			// Attempts in flight would reach the block: refuse this one
			// until they settle. (After a block ends, one attempt at a
			// time: its failure blocks again.)
			return nil, Verdict{Blocked: true, Scope: ScopeClient, Until: now.Add(g.cfg.BaseDelay)}, true
		}
		// The delays count settled failures only, as for a trusted pair:
		// attempts in flight are bounded by the block above, and counting
		// them held a client's burst of good logins (20 sessions opened
		// at once) up to MaxDelay each.
		v.Delay = max(g.delay(g.current(cr, now), g.cfg.IPFree), g.delay(g.current(ar, now), g.cfg.AccountFree))
	}
	cr.pending++
	g.clients.put(c, cr)
	ar.pending++
	g.accounts.put(a, ar)
	if trusted {
		pr.pending++
		g.pairs.put(p, pr)
	}
	return &Attempt{g: g, c: c, a: a, trusted: trusted}, v, false
}

// count is r's failures within the window plus its attempts in flight.
func (g *Guard) count(r record, now time.Time) int {
	return g.current(r, now) + r.pending
}

// delay is the wait that n failures impose: none for the free ones, then
// BaseDelay doubling per failure up to MaxDelay.
func (g *Guard) delay(n, free int) time.Duration {
	n -= free
	if n <= 0 {
		return 0
	}
	d := g.cfg.BaseDelay
	for i := 1; i < n && d < g.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, g.cfg.MaxDelay)
}

// current is r's failure count, 0 when the last failure is older than
// the window.
func (g *Guard) current(r record, now time.Time) int {
	if r.failures == 0 || now.Sub(r.last) > g.cfg.Window {
		return 0
	}
	return r.failures
}

// settle ends the attempt's reservation and applies f to each of its
// records (f may be nil); an attempt already settled is left alone.
func (at *Attempt) settle(f func(r *record, now time.Time, isClient bool)) {
	g := at.g
	now := g.cfg.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if at.settled {
		return
	}
	at.settled = true
	close(g.settled) // wake the attempts waiting in Begin
	g.settled = make(chan struct{})
	apply := func(r record, isClient bool) record {
		r.pending = max(r.pending-1, 0) // evicted and re-created: no debt
		if f != nil {
			f(&r, now, isClient)
		}
		return r
	}
	cr, _ := g.clients.get(at.c)
	g.clients.put(at.c, apply(cr, true))
	ar, _ := g.accounts.get(at.a)
	g.accounts.put(at.a, apply(ar, false))
	p := pair{at.c, at.a}
	if pr, ok := g.pairs.get(p); ok && at.trusted {
		g.pairs.put(p, apply(pr, false))
	}
}

// Failure records that the password was wrong. It counts for the client
// (blocking it at IPBlock), the account and, when trusted, the pair.
func (at *Attempt) Failure() {
	at.settle(func(r *record, now time.Time, isClient bool) {
		r.failures = at.g.current(*r, now) + 1
		r.last = now
		if isClient && r.failures >= at.g.cfg.IPBlock {
			r.blockedUntil = now.Add(at.g.cfg.BlockFor)
		}
	})
}

// Abandon settles an attempt whose password was not checked (the server
// shut down, the store failed): it counts for nothing.
func (at *Attempt) Abandon() { at.settle(nil) }

// Success records a successful login: the pair is trusted for TrustFor,
// its own failures kept until the window forgets them (someone else
// behind the same address may have made them, between two logins of the
// owner's client). The client's and the account's failures
// are kept: a client may own one account and guess at others, and the
// owner's login does not excuse an attacker's guesses at the account.
func (at *Attempt) Success() {
	// The trust is in place before settle wakes the attempts waiting
	// in Begin, so that a burst's waiters find the pair trusted.
	g := at.g
	g.mu.Lock()
	if !at.settled {
		p := pair{at.c, at.a}
		pr, _ := g.pairs.get(p)
		pr.trustedUntil = g.cfg.Now().Add(g.cfg.TrustFor)
		g.pairs.put(p, pr)
	}
	g.mu.Unlock()
	at.settle(nil)
}

// Unlock forgets the failures of account and those of its trusted pairs,
// for the operator (`petrel user unlock`). It reports whether
// there was anything to forget.
func (g *Guard) Unlock(user string) bool {
	a := g.accountKey(user)
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	ar, _ := g.accounts.get(a)
	had := g.current(ar, now) > 0
	g.accounts.remove(a)
	for _, p := range g.pairs.keys() {
		if p.account == a {
			if pr, _ := g.pairs.get(p); pr.failures > 0 {
				pr.failures = 0
				g.pairs.put(p, pr)
				had = true
			}
		}
	}
	return had
}

// UnblockClient forgets the failures and the block of the client ip
// belongs to. It reports whether there was anything to forget.
func (g *Guard) UnblockClient(ip netip.Addr) bool {
	c := netserve.ClientKey(ip)
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	cr, _ := g.clients.get(c)
	had := g.current(cr, now) > 0 || now.Before(cr.blockedUntil)
	g.clients.remove(c)
	return had
}
