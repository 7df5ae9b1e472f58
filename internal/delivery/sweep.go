package delivery

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// sweptPrefixes are the KV entries whose value is their expiry: the
// vacation replies sent (package vacation: Unix seconds) and the Sieve
// duplicate marks (sieveenv.go: RFC 3339). They are removed when read
// after they expired, but a sender who never writes again would leave
// them forever: the sweep removes them.
var sweptPrefixes = []string{"vacation/", "sieve-duplicate/"}

// Sweeper removes expired vacation and duplicate entries from the
// store's KV, at most once per Every, from the delivery path
// (Sieve.Sweeper; README "Filters and vacation").
type Sweeper struct {
	KV    store.KV
	Every time.Duration // 0 = one hour
	Max   int           // entries removed per run; 0 = 10000
	Now   func() time.Time
	next  atomic.Int64 // Unix seconds of the next run
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// sweepTimeout bounds a background sweep.
const sweepTimeout = 5 * time.Minute

// Maybe starts a Sweep in the background when one is due; the first is
// due one Every after the first call. A failed run waits for the next.
func (s *Sweeper) Maybe() {
	now := s.now()
	every := s.Every
	if every <= 0 {
		every = time.Hour
	}
	next := s.next.Load()
	if next == 0 {
		s.next.CompareAndSwap(0, now.Add(every).Unix())
		return
	}
	if now.Unix() < next || !s.next.CompareAndSwap(next, now.Add(every).Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
		defer cancel()
		_, _ = s.Sweep(ctx)
	}()
}

// Sweep removes the expired entries (and those whose value cannot be
// read as an expiry, which a read removes too), at most Max, and returns
// how many it removed.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	limit := s.Max
	if limit <= 0 {
		limit = 10000
	}
	now, n := s.now(), 0
	for _, prefix := range sweptPrefixes {
		keys, err := s.KV.KVList(ctx, prefix)
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			if n >= limit {
				return n, nil
			}
			v, err := s.KV.KVLoad(ctx, k.Key)
			if err != nil {
				continue // gone meanwhile, or unreadable now
			}
			if until, ok := expiry(v); ok && now.Before(until) {
				continue
			}
			if err := s.KV.KVDelete(ctx, k.Key); err == nil {
				n++
			} else if !store.IsKind(err, store.KindNotFound) {
				return n, err
			}
		}
	}
	return n, nil
}

// expiry reads an entry's value: Unix seconds or an RFC 3339 time.
func expiry(v []byte) (time.Time, bool) {
	if sec, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return time.Unix(sec, 0), true
	}
	t, err := time.Parse(time.RFC3339, string(v))
	return t, err == nil
}
