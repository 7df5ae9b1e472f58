package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestIsNoSpace(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("spill: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}), true},
		{errors.Join(errors.New("rollback failed"), syscall.ENOSPC), true},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EIO}, false},
		{errors.New("no space left on device"), false}, // text is not a cause
		{nil, false},
	} {
		if got := IsNoSpace(c.err); got != c.want {
			t.Errorf("IsNoSpace(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A reading is reused for SpaceTTL: statfs is not asked per message.
func TestSpaceCachesReadings(t *testing.T) {
	calls := 0
	s := NewSpace("/data", 100)
	s.statfs = func(dir string) (int64, error) {
		calls++
		if dir != "/data" {
			t.Errorf("statfs(%q)", dir)
		}
		return 1000, nil
	}
	for range 1000 {
		if got := s.Room(); got != 900 {
			t.Fatalf("Room = %d, want 900 (1000 free - 100 floor)", got)
		}
	}
	if calls != 1 {
		t.Errorf("statfs called %d times for 1000 readings within %v, want 1", calls, SpaceTTL)
	}
	s.at = s.at.Add(-SpaceTTL) // the reading is stale
	s.statfs = func(string) (int64, error) { calls++; return 50, nil }
	if got := s.Room(); got != -50 {
		t.Errorf("Room below the floor = %d, want -50", got)
	}
	if calls != 2 {
		t.Errorf("statfs called %d times after the TTL, want 2", calls)
	}
}

// A failed statfs never refuses anything.
func TestSpaceUnknown(t *testing.T) {
	s := NewSpace("/data", 100)
	s.statfs = func(string) (int64, error) { return 0, syscall.EIO }
	if free, ok := s.Free(); ok || free != 0 {
		t.Errorf("Free = %d, %v; want 0, false", free, ok)
	}
	if got := s.Room(); got != math.MaxInt64 {
		t.Errorf("Room = %d, want MaxInt64", got)
	}
}

func TestSpaceStatfs(t *testing.T) {
	free, ok := NewSpace(t.TempDir(), 0).Free()
	if !ok || free <= 0 {
		t.Errorf("Free of a temporary directory = %d, %v; want > 0, true", free, ok)
	}
	if _, ok := NewSpace(filepath.Join(t.TempDir(), "missing"), 0).Free(); ok {
		t.Error("Free of a missing directory is known")
	}
}

func TestReserve(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reserve")
	r := NewReserve(path, 300<<10+5)
	if r.Held() {
		t.Fatal("a new reserve holds space before Fill")
	}
	if err := r.Fill(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() != 300<<10+5 || !r.Held() {
		t.Fatalf("after Fill: %v, %v, held %v; want a file of %d octets", st, err, r.Held(), 300<<10+5)
	}
	// Really allocated, not sparse.
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Blocks*512 < st.Size() {
		t.Errorf("reserve file has %d blocks for %d octets: sparse", sys.Blocks, st.Size())
	}
	if was, err := r.Release(); !was || err != nil {
		t.Fatalf("Release = %v, %v; want true, nil", was, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) || r.Held() {
		t.Fatalf("after Release: stat %v, held %v; want no file", err, r.Held())
	}
	if was, err := r.Release(); was || err != nil {
		t.Errorf("second Release = %v, %v; want false, nil", was, err)
	}
	// A reserve left by an earlier run is taken over as it is.
	if err := os.WriteFile(path, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	again := NewReserve(path, 10)
	if err := again.Fill(); err != nil || !again.Held() {
		t.Errorf("Fill over an existing reserve = %v, held %v", err, again.Held())
	}
}

func TestReserveFillFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	r := NewReserve(filepath.Join(dir, "missing", "reserve"), 1024)
	if err := r.Fill(); err == nil || r.Held() {
		t.Fatalf("Fill in a missing directory = %v, held %v", err, r.Held())
	}
	assertOnly(t, dir)
}
