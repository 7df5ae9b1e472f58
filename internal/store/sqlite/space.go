package sqlite

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/store"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ReserveFile is the file in the data directory that holds the deletion
// reserve (README "Storage").
const ReserveFile = "deletion-reserve"

// FreeSpace reports the octets free on the data directory's filesystem,
// and whether they are known; *spool.Space satisfies it.
type FreeSpace interface {
	Free() (int64, bool)
}

// diskFull reports whether err means that the disk or the database is full:
// SQLITE_FULL (its extended codes included), ENOSPC or EDQUOT.
func diskFull(err error) bool {
	var se *msqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	return spool.IsNoSpace(err)
}

// wrap is store.Wrap, with KindNoSpace instead of kind when err says the
// disk is full.
func wrap(kind store.Kind, op string, err error) error {
	if err != nil && diskFull(err) {
		kind = store.KindNoSpace
	}
	return store.Wrap(kind, op, err)
}

// spaceGuard keeps the deletion reserve (README "Storage"): a file of
// Options.Reserve octets in the data directory. When a write that may use
// it (op.reserve: deletions and flag changes) fails because the disk is
// full, the reserve is released and the write run again, so that users
// can still delete mail to free space. While the reserve is released, new
// mail (deliveries, appends, copies, the queue) is refused with
// KindNoSpace before anything is written, so that it cannot eat the room
// meant for deletions; the reserve is filled again, and new mail
// accepted, once the filesystem has twice the reserve free.
type spaceGuard struct {
	res   *spool.Reserve // nil: no reserve
	free  FreeSpace
	log   *slog.Logger
	retry time.Duration // between attempts to fill the reserve again

	mu   sync.Mutex
	low  bool // the reserve is released: new mail is refused
	next time.Time
}

func newSpaceGuard(opts Options, log *slog.Logger) (*spaceGuard, error) {
	g := &spaceGuard{free: opts.Space, log: log, retry: time.Second}
	if opts.Reserve <= 0 {
		return g, nil
	}
	if g.free == nil {
		g.free = spool.NewSpace(opts.Dir, 0)
	}
	g.res = spool.NewReserve(filepath.Join(opts.Dir, ReserveFile), opts.Reserve)
	if err := g.res.Fill(); err != nil {
		if !spool.IsNoSpace(err) {
			return nil, fmt.Errorf("create the deletion reserve: %w", err)
		}
		log.Warn("disk full: the deletion reserve cannot be created; new mail is refused until space is freed",
			"reserve", opts.Reserve, "err", err)
		g.low = true
	}
	return g, nil
}

// admit lets new mail be written, unless the reserve is released and
// cannot be filled again yet: then KindNoSpace.
func (g *spaceGuard) admit(op string) error {
	if g.res == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.low || g.refill() {
		return nil
	}
	return store.Errorf(store.KindNoSpace, op, "disk full: the deletion reserve is in use")
}

// refill fills the reserve again when the filesystem has twice its size
// free; it tries at most once per retry interval. g.mu is held.
func (g *spaceGuard) refill() bool {
	now := time.Now()
	if now.Before(g.next) {
		return false
	}
	g.next = now.Add(g.retry)
	free, ok := g.free.Free()
	if !ok || free < 2*g.res.Size() {
		return false
	}
	if err := g.res.Fill(); err != nil {
		g.log.Warn("the deletion reserve cannot be filled again", "free", free, "err", err)
		return false
	}
	g.low = false
	g.log.Info("disk space is back: the deletion reserve is filled again and new mail accepted", "free", free)
	return true
}

// release gives the reserve's space back to the filesystem after a write
// failed because the disk is full. It reports whether it freed anything,
// that is whether running the write again can help.
func (g *spaceGuard) release() bool {
	if g.res == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	was, err := g.res.Release()
	if err != nil {
		g.log.Error("releasing the deletion reserve failed", "err", err)
	}
	if was {
		g.low = true
		g.next = time.Now().Add(g.retry)
		g.log.Warn("disk full: the deletion reserve is released for deletions and flag changes; new mail is refused until space is freed",
			"reserve", g.res.Size())
	}
	return was
}
