package sqlite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// bodyFiles counts the body files under dir's blob directory.
func bodyFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A failed batch removes the body files it wrote for its large messages;
// a successful one keeps them.
func TestAppendBatchBodyFiles(t *testing.T) {
	ctx := context.Background()
	e := openStoreEnv(t, t.TempDir(), Options{InlineMax: 1024})
	s, dir := e.s, e.dir
	big := bytes.Repeat([]byte("x"), 4096)
	batch := func(last io.Reader) []store.AppendMessage {
		return []store.AppendMessage{{Body: bytes.NewReader(big)}, {Body: bytes.NewReader(big)}, {Body: last}}
	}
	if err := s.SetQuota(ctx, e.acct, 2*int64(len(big)), 0); err != nil {
		t.Fatal(err)
	}
	_, err := s.AppendBatch(ctx, e.acct, e.inbox, batch(bytes.NewReader(big)))
	if !store.IsKind(err, store.KindOverQuota) {
		t.Fatalf("over quota: %v", err)
	}
	if n := bodyFiles(t, dir); n != 0 {
		t.Fatalf("over-quota batch left %d body files", n)
	}
	if err := s.SetQuota(ctx, e.acct, 0, 0); err != nil {
		t.Fatal(err)
	}
	_, err = s.AppendBatch(ctx, e.acct, e.inbox, batch(io.MultiReader(bytes.NewReader(big), errReader{})))
	if err == nil {
		t.Fatal("batch with an unreadable body succeeded")
	}
	if n := bodyFiles(t, dir); n != 0 {
		t.Fatalf("unreadable batch left %d body files", n)
	}
	if _, err := s.AppendBatch(ctx, e.acct, e.inbox, batch(bytes.NewReader(big))); err != nil {
		t.Fatal(err)
	}
	if n := bodyFiles(t, dir); n != 3 {
		t.Fatalf("stored batch has %d body files, want 3", n)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection lost") }

// TestCacheKiB: Options.CacheKiB sizes the writer's page cache (an
// import's smaller one), 0 keeps 64 MiB.
func TestCacheKiB(t *testing.T) {
	for _, tc := range []struct{ opt, want int }{{0, 65536}, {16384, 16384}} {
		e := openStoreEnv(t, t.TempDir(), Options{CacheKiB: tc.opt})
		var got int
		err := e.s.w.do(context.Background(), "cache size", func(tx *txn) error {
			return tx.queryRow(`PRAGMA cache_size`).Scan(&got)
		})
		if err != nil || got != -tc.want {
			t.Errorf("CacheKiB %d: cache_size = %d, %v; want %d", tc.opt, got, err, -tc.want)
		}
	}
}
