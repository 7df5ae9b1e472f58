package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestDirCacheAnswersFromMemory: once read, a domain, an address's
// account and an account's address are answered without the database
// (its read pool is closed here), which is what takes the read
// transactions off a delivery.
func TestDirCacheAnswersFromMemory(t *testing.T) {
	ctx := context.Background()
	e := openStoreEnv(t, t.TempDir(), Options{})
	s := e.s
	if ok, err := s.HasDomain(ctx, "example.org"); !ok || err != nil {
		t.Fatalf("HasDomain = %v, %v", ok, err)
	}
	if id, err := s.LookupAddress(ctx, "alice@example.org"); id != e.acct || err != nil {
		t.Fatalf("LookupAddress = %v, %v", id, err)
	}
	if a, err := s.AccountAddress(ctx, e.acct); a != "alice@example.org" || err != nil {
		t.Fatalf("AccountAddress = %q, %v", a, err)
	}
	if b, m, err := s.QuotaLimits(ctx, e.acct); b != 0 || m != 0 || err != nil {
		t.Fatalf("QuotaLimits = %d, %d, %v", b, m, err)
	}
	s.rdb.DB.Close()
	if ok, err := s.HasDomain(ctx, "example.org"); !ok || err != nil {
		t.Errorf("cached HasDomain = %v, %v", ok, err)
	}
	if id, err := s.LookupAddress(ctx, "alice@example.org"); id != e.acct || err != nil {
		t.Errorf("cached LookupAddress = %v, %v", id, err)
	}
	if a, err := s.AccountAddress(ctx, e.acct); a != "alice@example.org" || err != nil {
		t.Errorf("cached AccountAddress = %q, %v", a, err)
	}
	if b, m, err := s.QuotaLimits(ctx, e.acct); b != 0 || m != 0 || err != nil {
		t.Errorf("cached QuotaLimits = %d, %d, %v", b, m, err)
	}
	// A negative answer is never kept: it goes to the (closed) database.
	if _, err := s.LookupAddress(ctx, "nobody@example.org"); err == nil || store.IsKind(err, store.KindNotFound) {
		t.Errorf("uncached miss = %v, want the closed pool's error", err)
	}
}

// TestDirCacheFollowsChanges: a directory change through the store is
// seen by the next lookup, and mail does not empty the cache.
func TestDirCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	e := openStoreEnv(t, t.TempDir(), Options{})
	s := e.s
	bob, err := s.CreateAccount(ctx, "bob@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupAddress(ctx, "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountAddress(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.QuotaLimits(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQuota(ctx, bob.ID, 1000, 5); err != nil {
		t.Fatal(err)
	}
	if b, m, err := s.QuotaLimits(ctx, bob.ID); b != 1000 || m != 5 || err != nil {
		t.Errorf("QuotaLimits after SetQuota = %d, %d, %v; want 1000, 5", b, m, err)
	}
	s.dir.mu.Lock()
	gen := s.dir.gen
	s.dir.mu.Unlock()
	if _, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: hi\r\n\r\nbody\r\n")},
		[]store.Target{{Account: e.acct}}); err != nil {
		t.Fatal(err)
	}
	s.dir.mu.Lock()
	flushed := s.dir.gen != gen
	s.dir.mu.Unlock()
	if flushed {
		t.Error("a delivery emptied the directory cache")
	}
	if err := s.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if id, err := s.LookupAddress(ctx, "bob@example.org"); !store.IsKind(err, store.KindNotFound) {
		t.Errorf("LookupAddress after DeleteAccount = %v, %v; want not found", id, err)
	}
	if a, err := s.AccountAddress(ctx, bob.ID); !store.IsKind(err, store.KindNotFound) {
		t.Errorf("AccountAddress after DeleteAccount = %q, %v; want not found", a, err)
	}
	if err := s.AddDomain(ctx, "example.net"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.HasDomain(ctx, "example.net"); !ok {
		t.Fatal("new domain not found")
	}
	if err := s.DeleteDomain(ctx, "example.net"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasDomain(ctx, "example.net"); ok || err != nil {
		t.Errorf("HasDomain after DeleteDomain = %v, %v", ok, err)
	}
}

// TestDirCacheOtherProcess: a deletion committed by another process
// (a second store on the same directory, as the CLI is) reaches this
// store's lookups once its watcher has looked.
func TestDirCacheOtherProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openStoreEnv(t, dir, Options{WatchInterval: 20 * time.Millisecond})
	bob, err := e.s.CreateAccount(ctx, "bob@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.LookupAddress(ctx, "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, Options{Dir: dir, WatchInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.s.LookupAddress(ctx, "bob@example.org")
		if store.IsKind(err, store.KindNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("another process's deletion not seen after 10 s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDirCacheKeepsNoAnswerReadAcrossAFlush: an answer read before a
// change committed must not be kept after it; a cache without a watcher
// keeps nothing.
func TestDirCacheKeepsNoAnswerReadAcrossAFlush(t *testing.T) {
	c := newDirCache(time.Second)
	reads := 0
	readFlushed := func() (store.AccountID, bool, error) {
		reads++
		c.flush() // a commit lands while the read runs
		return 7, true, nil
	}
	for range 2 {
		if id, err := readThrough(c, c.addrs, "bob@example.org", readFlushed); id != 7 || err != nil {
			t.Fatalf("readThrough = %v, %v", id, err)
		}
	}
	if reads != 2 {
		t.Errorf("%d reads, want 2: the answer read across a flush was kept", reads)
	}
	off := newDirCache(-1)
	reads = 0
	read := func() (store.AccountID, bool, error) { reads++; return 7, true, nil }
	readThrough(off, off.addrs, "bob@example.org", read)
	readThrough(off, off.addrs, "bob@example.org", read)
	if reads != 2 {
		t.Errorf("a store that does not watch other processes cached (%d reads, want 2)", reads)
	}
}
