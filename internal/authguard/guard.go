package authguard

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Config sets the limits. Zero fields take the defaults given.
type Config struct {
	// Window: failure counts are forgotten after this long without a
	// failure. Default 15 minutes.
	Window time.Duration
	// IPFree and AccountFree are the failures that cost no delay.
	// Defaults 3 and 5.
	IPFree, AccountFree int
	// IPBlock and AccountBlock are the failures that block the client or
	// the account for BlockFor. Defaults 15 and 30.
	IPBlock, AccountBlock int
	// BaseDelay is the first delay, doubled by each further failure up to
	// MaxDelay. Defaults 1 s and 16 s.
	BaseDelay, MaxDelay time.Duration
	// BlockFor is how long a block lasts. Default 15 minutes.
	BlockFor time.Duration
	// TrustFor is how long a successful login trusts its client for its
	// account. Default 30 days.
	TrustFor time.Duration
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
	defInt(&c.AccountBlock, 30)
	defDur(&c.BaseDelay, time.Second)
	defDur(&c.MaxDelay, 16*time.Second)
	defDur(&c.BlockFor, 15*time.Minute)
	defDur(&c.TrustFor, 30*24*time.Hour)
	defInt(&c.MaxEntries, 65536)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Scope says what a block applies to.
type Scope int

const (
	ScopeNone    Scope = iota
	ScopeClient        // the client address has failed too often
	ScopeAccount       // the account has failed too often
)

// Verdict is what Check decides about one login attempt.
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

// record is the failure state of one client or account.
type record struct {
	failures     int
	last         time.Time // last failure
	blockedUntil time.Time
}

// pair is one (client, account) that logged in successfully.
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
	trusted  *table[pair, time.Time] // until when
}

// New returns a Guard with the limits of cfg.
func New(cfg Config) *Guard {
	cfg = cfg.withDefaults()
	return &Guard{
		cfg:      cfg,
		clients:  newTable[netip.Prefix, record](cfg.MaxEntries),
		accounts: newTable[string, record](cfg.MaxEntries),
		trusted:  newTable[pair, time.Time](cfg.MaxEntries),
	}
}

// maxAccountKey bounds the length of a remembered account name.
const maxAccountKey = 320

// ClientKey is the client an address belongs to: the address itself for
// IPv4 (and IPv4-mapped IPv6), its /64 for IPv6. The zero Addr (a unix
// socket peer) is one client of its own.
func ClientKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return netip.Prefix{}
	case ip.Is4():
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

func accountKey(account string) string {
	account = strings.ToLower(strings.TrimSpace(account))
	if len(account) > maxAccountKey {
		account = account[:maxAccountKey]
	}
	return account
}

// Check decides whether a login attempt from ip for account may proceed,
// and after how long.
func (g *Guard) Check(ip netip.Addr, account string) Verdict {
	now := g.cfg.Now()
	c, a := ClientKey(ip), accountKey(account)
	g.mu.Lock()
	defer g.mu.Unlock()
	if until, ok := g.trusted.get(pair{c, a}); ok && now.Before(until) {
		return Verdict{}
	}
	cr, _ := g.clients.get(c)
	ar, _ := g.accounts.get(a)
	if now.Before(cr.blockedUntil) {
		return Verdict{Blocked: true, Scope: ScopeClient, Until: cr.blockedUntil}
	}
	if now.Before(ar.blockedUntil) {
		return Verdict{Blocked: true, Scope: ScopeAccount, Until: ar.blockedUntil}
	}
	d := max(g.delay(cr, now, g.cfg.IPFree), g.delay(ar, now, g.cfg.AccountFree))
	return Verdict{Delay: d}
}

// delay is the wait that r's failures impose: none for the free ones,
// then BaseDelay doubling per failure up to MaxDelay.
func (g *Guard) delay(r record, now time.Time, free int) time.Duration {
	n := g.current(r, now) - free
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

// Failure records a failed login from ip for account.
func (g *Guard) Failure(ip netip.Addr, account string) {
	now := g.cfg.Now()
	c, a := ClientKey(ip), accountKey(account)
	g.mu.Lock()
	defer g.mu.Unlock()
	cr, _ := g.clients.get(c)
	g.clients.put(c, g.fail(cr, now, g.cfg.IPBlock))
	ar, _ := g.accounts.get(a)
	g.accounts.put(a, g.fail(ar, now, g.cfg.AccountBlock))
}

func (g *Guard) fail(r record, now time.Time, block int) record {
	r.failures = g.current(r, now) + 1
	r.last = now
	if r.failures >= block {
		r.blockedUntil = now.Add(g.cfg.BlockFor)
	}
	return r
}

// Success records a successful login from ip to account: the pair is
// trusted for TrustFor, and the account's failures are forgotten (its
// owner knows the password). The client's failures are kept: a client may
// own one account and guess at others.
func (g *Guard) Success(ip netip.Addr, account string) {
	now := g.cfg.Now()
	c, a := ClientKey(ip), accountKey(account)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trusted.put(pair{c, a}, now.Add(g.cfg.TrustFor))
	g.accounts.remove(a)
}
