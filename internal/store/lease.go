package store

import (
	"context"
	"sync"
	"time"
)

// Lease is a lock of Locks that one owner holds and renews in the
// background, every third of its ttl, until Release. When a renewal finds
// the lock taken by another owner, or none succeeds for a whole ttl (the
// store unreachable), the lease is lost: Lost is closed and the renewals
// stop, and the holder must stop acting under the lock.
type Lease struct {
	locks       Locks
	name, owner string
	ttl         time.Duration

	stop chan struct{}
	done chan struct{}
	lost chan struct{}
	once sync.Once
}

// AcquireLease takes the lock name for owner once: a nil Lease and a nil
// error when another owner holds it.
func AcquireLease(ctx context.Context, l Locks, name, owner string, ttl time.Duration) (*Lease, error) {
	ok, err := l.TryLock(ctx, name, owner, ttl)
	if err != nil || !ok {
		return nil, err
	}
	h := &Lease{locks: l, name: name, owner: owner, ttl: ttl,
		stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
	go h.renew()
	return h, nil
}

// WaitLease takes the lock, trying again every poll while another owner
// holds it, until ctx ends (certmagic's Locker.Lock waits so).
func WaitLease(ctx context.Context, l Locks, name, owner string, ttl, poll time.Duration) (*Lease, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		h, err := AcquireLease(ctx, l, name, owner, ttl)
		if h != nil || err != nil {
			return h, err
		}
		select {
		case <-ctx.Done():
			return nil, Wrap(KindTemporary, "wait lease", ctx.Err())
		case <-t.C:
		}
	}
}

func (h *Lease) renew() {
	defer close(h.done)
	t := time.NewTicker(h.ttl / 3)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.ttl/3)
		err := h.locks.RenewLock(ctx, h.name, h.owner, h.ttl)
		cancel()
		switch {
		case err == nil:
			last = time.Now()
		case IsKind(err, KindNotFound) || time.Since(last) >= h.ttl:
			close(h.lost)
			return
		}
	}
}

// Lost is closed when the lease is lost (see Lease).
func (h *Lease) Lost() <-chan struct{} { return h.lost }

// Release stops the renewals and releases the lock. It may be called
// more than once; a lost lease is released without touching the lock.
func (h *Lease) Release(ctx context.Context) error {
	h.once.Do(func() { close(h.stop) })
	<-h.done
	select {
	case <-h.lost:
		return nil
	default:
	}
	return h.locks.Unlock(ctx, h.name, h.owner)
}
