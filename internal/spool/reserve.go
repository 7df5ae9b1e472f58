package spool

import (
	"errors"
	"os"
	"sync"
)

// Reserve is a file that holds disk space for later (README "Storage"):
// Fill writes it with real zeros (a sparse file would hold nothing) and
// fsyncs it; Release removes it when the filesystem is full, so that the
// work that may use the reserve can proceed; Fill again once the space
// has returned. It is safe for concurrent use.
type Reserve struct {
	path string
	size int64

	mu   sync.Mutex
	held bool
}

// NewReserve returns a reserve of size octets in the file at path; it
// holds nothing until Fill.
func NewReserve(path string, size int64) *Reserve {
	return &Reserve{path: path, size: size}
}

// Size is the reserve's size in octets.
func (r *Reserve) Size() int64 { return r.size }

// Held reports whether the reserve holds its space.
func (r *Reserve) Held() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}

// Fill makes the file hold the reserve's size. A file of that size left
// by an earlier run is kept as it is. On failure (IsNoSpace when the
// filesystem is full) no partial file is left behind.
func (r *Reserve) Fill() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held {
		return nil
	}
	if st, err := os.Stat(r.path); err == nil && st.Mode().IsRegular() && st.Size() == r.size {
		r.held = true
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	zeros := make([]byte, 64<<10)
	for left := r.size; left > 0 && err == nil; left -= int64(len(zeros)) {
		_, err = f.Write(zeros[:min(left, int64(len(zeros)))])
	}
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return errors.Join(err, removeIfExists(r.path))
	}
	r.held = true
	return nil
}

// Release removes the file, giving its space back to the filesystem. It
// reports whether the reserve held space until now.
func (r *Reserve) Release() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.held
	r.held = false
	return was, removeIfExists(r.path)
}
