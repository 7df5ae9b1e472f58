package mtasts

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// maybeSweep starts a Sweep in the background once per sweepEvery; a
// failed one is tried again at the next. load ignores expired policies,
// so a late sweep only costs space.
func (r *Resolver) maybeSweep(now time.Time) {
	next := r.nextSweep.Load()
	if now.Unix() < next || !r.nextSweep.CompareAndSwap(next, now.Add(sweepEvery).Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
		defer cancel()
		if n, err := r.Sweep(ctx); err != nil {
			r.cfg.Log.Warn("mta-sts: sweeping the policy cache failed", "deleted", n, "err", err)
		}
	}()
}

// Sweep deletes the cached policies that can no longer be used: those
// past their max_age (RFC 8461 §5.1: a policy is cached for at most
// max_age) and those that do not parse. Without it the cache would keep
// every domain ever sent to. It returns how many it deleted. Several
// nodes may sweep at once; a policy cached again between its read and
// its delete here is only fetched once more.
func (r *Resolver) Sweep(ctx context.Context) (int, error) {
	now := r.cfg.Now()
	keys, err := r.cfg.Cache.KVList(ctx, key(""))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		domain := strings.TrimPrefix(k.Key, key(""))
		if domain == "" || strings.Contains(domain, "/") {
			continue
		}
		if usable, err := r.usable(ctx, k.Key, now); err != nil || usable {
			continue // kept, gone or unreadable: looked at again next time
		}
		if err := r.cfg.Cache.KVDelete(ctx, k.Key); err == nil {
			n++
		} else if !store.IsKind(err, store.KindNotFound) {
			return n, err
		}
	}
	return n, nil
}

// usable reports whether the cached policy under k parses and has not
// expired.
func (r *Resolver) usable(ctx context.Context, k string, now time.Time) (bool, error) {
	data, err := r.cfg.Cache.KVLoad(ctx, k)
	if err != nil {
		return false, err
	}
	var c cached
	if json.Unmarshal(data, &c) != nil {
		return false, nil
	}
	p, err := ParsePolicy(c.Text)
	return err == nil && now.Before(c.Fetched.Add(p.MaxAge)), nil
}
