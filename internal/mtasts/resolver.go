package mtasts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/store"
)

// TXTLookup is what the Resolver asks of DNS.
type TXTLookup interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// KV is the part of store.KV the cache uses.
type KV interface {
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVStore(ctx context.Context, key string, value []byte) error
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
	KVDelete(ctx context.Context, key string) error
}

// DefaultRetryFailed is how long a failed fetch is not tried again.
const DefaultRetryFailed = 5 * time.Minute

// Config configures a Resolver.
type Config struct {
	DNS   TXTLookup
	Fetch Fetcher
	// Cache keeps the policies, under "mtasts/DOMAIN": in the store, so
	// that every node and every restart sees them (docs/architecture.md
	// §Shared state).
	Cache KV
	// RetryFailed is how long a fetch that failed is not tried again for
	// the same domain and record id (0 = DefaultRetryFailed): without it,
	// every delivery attempt to a domain whose policy host is down would
	// wait out the fetch timeout.
	RetryFailed time.Duration
	Now         func() time.Time // nil = time.Now
	Log         *slog.Logger     // nil = no log
}

// Resolver finds the MTA-STS policy of recipient domains (RFC 8461 §3,
// §5.1). It is safe for concurrent use; lookups of one domain wait for
// each other, so a policy is fetched once.
type Resolver struct {
	cfg Config

	mu      sync.Mutex
	domains map[string]*domainLock
	failed  map[string]failure // by domain
	// nextSweep is when Lookup next starts a Sweep (Unix seconds).
	nextSweep atomic.Int64
}

type domainLock struct {
	mu    sync.Mutex
	users int
}

// maxFailed bounds the remembered failures: at it, the expired ones are
// dropped, and then, while it is still reached, any, so that domains
// whose policy hosts fail cannot grow the map without end (a dropped one
// is only fetched again sooner).
const maxFailed = 1000

// sweepEvery is how often Lookup starts a Sweep of the cache in the
// background; sweepTimeout bounds one.
const (
	sweepEvery   = 24 * time.Hour
	sweepTimeout = 5 * time.Minute
)

// failure is a fetch that failed: not tried again for the same id before
// until.
type failure struct {
	id    string
	until time.Time
	err   error
}

// NewResolver returns a resolver configured by cfg.
func NewResolver(cfg Config) *Resolver {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryFailed <= 0 {
		cfg.RetryFailed = DefaultRetryFailed
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Resolver{cfg: cfg, domains: map[string]*domainLock{}, failed: map[string]failure{}}
	r.nextSweep.Store(cfg.Now().Add(sweepEvery).Unix())
	return r
}

// cached is a policy in the cache: its text as fetched, the id of the
// record it was fetched under, and when.
type cached struct {
	Text    string    `json:"text"`
	ID      string    `json:"id"`
	Fetched time.Time `json:"fetched"`
}

// Lookup returns the policy of domain (RFC 8461 §5.1):
//
//   - the cached policy while its max_age has not run out and the
//     "_mta-sts" record has the same id, or has gone, or cannot be looked
//     up (a published policy outlives its record: §5.1, §8.3);
//   - else the policy fetched from the policy host, cached; a cached
//     policy past half its max_age is fetched again, the old one kept if
//     that fails;
//   - when the fetch fails, the last good policy while it is not
//     expired (§5.1); without one, Policy{} and an *Error with the RFC
//     8460 result type (deliver as without MTA-STS, and report).
//
// A domain without a (valid) record and without a cached policy has
// none: Policy{} and a nil error; so has a name that is not an ASCII
// domain name (domain is in A-label form, as the queue keeps it).
func (r *Resolver) Lookup(ctx context.Context, domain string) (Policy, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if !validDomain(domain) {
		return Policy{}, nil
	}
	defer r.lock(domain)()
	now := r.cfg.Now()
	r.maybeSweep(now)
	old, haveOld := r.load(ctx, domain, now)
	txts, dnsErr := r.cfg.DNS.LookupTXT(ctx, "_mta-sts."+domain)
	var rec Record
	err := dnsErr
	if err == nil {
		rec, err = FindRecord(txts)
		if err != nil {
			r.cfg.Log.Debug("mta-sts: no valid record", "domain", domain, "err", err)
		}
	}
	switch {
	case err != nil && haveOld:
		return old.policy, nil
	case dnsErr != nil && !dnsr.IsNotFound(dnsErr):
		return Policy{}, &Error{Domain: domain, Result: ResultFetchError, Err: fmt.Errorf("looking up the _mta-sts record: %w", dnsErr)}
	case err != nil:
		return Policy{}, nil
	case haveOld && old.ID == rec.ID && now.Before(old.Fetched.Add(old.policy.MaxAge/2)):
		return old.policy, nil
	}
	p, err := r.fetch(ctx, domain, rec.ID, now)
	switch {
	case err != nil && haveOld:
		r.cfg.Log.Warn("mta-sts: policy fetch failed, the cached policy stays", "domain", domain, "err", err)
		return old.policy, nil
	case err != nil:
		return Policy{}, err
	}
	return p, nil
}

// remember records a failed fetch of domain, within maxFailed.
func (r *Resolver) remember(domain string, f failure, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failed) >= maxFailed {
		for d, old := range r.failed {
			if !now.Before(old.until) {
				delete(r.failed, d)
			}
		}
	}
	for d := range r.failed {
		if len(r.failed) < maxFailed {
			break
		}
		delete(r.failed, d)
	}
	r.failed[domain] = f
}

// lock serialises the lookups of one domain; it returns the unlock.
func (r *Resolver) lock(domain string) func() {
	r.mu.Lock()
	l := r.domains[domain]
	if l == nil {
		l = &domainLock{}
		r.domains[domain] = l
	}
	l.users++
	r.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		r.mu.Lock()
		if l.users--; l.users == 0 {
			delete(r.domains, domain)
		}
		r.mu.Unlock()
	}
}

// entry is a cached policy, parsed.
type entry struct {
	cached
	policy Policy
}

// key is the cache key of domain.
func key(domain string) string { return "mtasts/" + domain }

// load returns the cached policy of domain when it has not expired.
func (r *Resolver) load(ctx context.Context, domain string, now time.Time) (entry, bool) {
	data, err := r.cfg.Cache.KVLoad(ctx, key(domain))
	if err != nil {
		if !store.IsKind(err, store.KindNotFound) {
			r.cfg.Log.Warn("mta-sts: reading the policy cache failed", "domain", domain, "err", err)
		}
		return entry{}, false
	}
	var e entry
	if err := json.Unmarshal(data, &e.cached); err != nil {
		r.cfg.Log.Warn("mta-sts: a damaged cached policy is ignored", "domain", domain, "err", err)
		return entry{}, false
	}
	p, err := ParsePolicy(e.Text)
	if err != nil || !now.Before(e.Fetched.Add(p.MaxAge)) {
		return entry{}, false
	}
	p.ID = e.ID
	e.policy = p
	return e, true
}

// fetch fetches domain's policy for the record id and caches it; a
// failure is remembered for RetryFailed.
func (r *Resolver) fetch(ctx context.Context, domain, id string, now time.Time) (Policy, error) {
	r.mu.Lock()
	f, ok := r.failed[domain]
	if ok && (f.id != id || !now.Before(f.until)) {
		delete(r.failed, domain)
		ok = false
	}
	r.mu.Unlock()
	if ok {
		return Policy{}, f.err
	}
	p, err := r.cfg.Fetch.Fetch(ctx, domain)
	if err != nil {
		r.remember(domain, failure{id: id, until: now.Add(r.cfg.RetryFailed), err: err}, now)
		return Policy{}, err
	}
	p.ID = id
	// The text stored is the policy as parsed, so a later version reads
	// what this one understood.
	data, err := json.Marshal(cached{Text: p.Text(), ID: id, Fetched: now})
	if err == nil {
		err = r.cfg.Cache.KVStore(ctx, key(domain), data)
	}
	if err != nil {
		r.cfg.Log.Warn("mta-sts: caching the policy failed", "domain", domain, "err", err)
	}
	return p, nil
}
