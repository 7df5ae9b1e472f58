package spool

import (
	"errors"
	"math"
	"sync"
	"syscall"
	"time"
)

// IsNoSpace reports whether err says that the filesystem is full: ENOSPC,
// or EDQUOT (the filesystem's quota of the server's user is used up).
// Either way nothing more can be written until space is freed.
func IsNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// SpaceTTL is how long Space reuses a free-space reading: messages arrive
// by the thousand per second, and statfs needs not be asked for each.
const SpaceTTL = time.Second

// Space reports the free space of the filesystem that holds a directory,
// and how much of it may still be taken before a floor is reached
// (README "Storage": min_free_space). Readings are cached for SpaceTTL.
// It is safe for concurrent use.
type Space struct {
	dir   string
	floor int64
	// statfs returns the octets available to the server (not to root
	// only) on dir's filesystem; tests replace it.
	statfs func(dir string) (int64, error)

	mu   sync.Mutex
	at   time.Time // of the last reading; zero = none yet
	free int64
	ok   bool
}

// NewSpace returns a Space for dir's filesystem with the given floor in
// octets (0 = none).
func NewSpace(dir string, floor int64) *Space {
	return &Space{dir: dir, floor: max(floor, 0), statfs: freeSpace}
}

// Free returns the octets available on the filesystem, and false when
// they cannot be known (statfs failed, or the platform has none).
func (s *Space) Free() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); s.at.IsZero() || now.Sub(s.at) >= SpaceTTL || now.Before(s.at) {
		s.free, s.ok, s.at = 0, false, now
		if n, err := s.statfs(s.dir); err == nil {
			s.free, s.ok = n, true
		}
	}
	return s.free, s.ok
}

// Room returns how many octets may still be written before the free space
// falls below the floor: negative when it already has, and math.MaxInt64
// when the free space is unknown (a failed statfs never refuses mail).
func (s *Space) Room() int64 {
	free, ok := s.Free()
	if !ok {
		return math.MaxInt64
	}
	return free - s.floor
}
