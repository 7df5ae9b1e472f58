package storecopy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestCopyHeavy copies a 100,000-message mailbox (PETREL_HEAVY=1) and
// checks that the copy's heap stays bounded: well below the mailbox's
// size in bodies and metadata, which a copy holding the mailbox would
// need (docs/benchmarks.md "Store copy").
func TestCopyHeavy(t *testing.T) {
	if os.Getenv("PETREL_HEAVY") == "" {
		t.Skip("set PETREL_HEAVY=1 to copy a 100,000-message mailbox")
	}
	copyHeavy(t, testkit.NewStore(t))
}

// TestCopyHeavyPostgres is TestCopyHeavy into PostgreSQL (README "Moving
// to PostgreSQL"), on the server that PETREL_TEST_POSTGRES names, in a
// database of its own.
func TestCopyHeavyPostgres(t *testing.T) {
	if os.Getenv("PETREL_HEAVY") == "" {
		t.Skip("set PETREL_HEAVY=1 to copy a 100,000-message mailbox")
	}
	copyHeavy(t, newPostgresStore(t))
}

// copyHeavy copies a 100,000-message mailbox from SQLite into dst.
func copyHeavy(t *testing.T, dst store.Store) {
	const n, size = 100_000, 2000
	ctx := context.Background()
	src := testkit.NewStore(t)
	if err := src.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	a, err := src.CreateAccount(ctx, "big@example.org", "hash")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := src.Mailbox(ctx, a.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		batch := make([]store.AppendMessage, 1000)
		for j := range batch {
			batch[j] = store.AppendMessage{Body: bytes.NewReader(msg(fmt.Sprintf("m%d", i+j), size)), Flags: store.Flags(j % 3)}
		}
		if _, err := src.AppendBatch(ctx, a.ID, inbox.ID, batch); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("generated %d messages of %d octets in %v", n, size, time.Since(start).Round(time.Millisecond))

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak, peakRSS uint64
	baseRSS := procKB("VmRSS:")
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			peakRSS = max(peakRSS, procKB("VmRSS:"))
			mu.Unlock()
		}
	}()
	start = time.Now()
	var progress bytes.Buffer
	rep, err := Copy(ctx, src, dst, Options{Progress: &progress})
	elapsed := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if rep.Added != n {
		t.Fatalf("copied %d messages, want %d", rep.Added, n)
	}
	t.Logf("progress:\n%s", progress.Bytes())
	mu.Lock()
	defer mu.Unlock()
	t.Logf("copied and verified %d messages in %v (%.0f msg/s with the verification); heap in use: %d MiB before, peak %d MiB; resident: %d MiB before, peak %d MiB",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), base.HeapInuse>>20, peak>>20, baseRSS>>10, peakRSS>>10)
	// The mailbox is 200 MB of bodies; the copy holds a batch (8 MiB),
	// a page of records and a bulk read's chunk at a time.
	if limit := base.HeapInuse + 96<<20; peak > limit {
		t.Fatalf("heap in use peaked at %d MiB, over %d MiB: the copy is not bounded", peak>>20, limit>>20)
	}
}

// procKB reads a field of /proc/self/status in kB (Linux; 0 elsewhere).
func procKB(field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(field)); ok {
			var kb uint64
			fmt.Sscan(string(v), &kb)
			return kb
		}
	}
	return 0
}
