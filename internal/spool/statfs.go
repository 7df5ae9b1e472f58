//go:build unix

package spool

import (
	"math"
	"syscall"
)

// freeSpace asks statfs(2) for the octets available to unprivileged users
// (f_bavail, not f_bfree: the blocks kept for root are not the server's).
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	avail, bsize := uint64(st.Bavail), uint64(st.Bsize)
	if bsize != 0 && avail > math.MaxInt64/bsize {
		return math.MaxInt64, nil
	}
	return int64(avail * bsize), nil
}
