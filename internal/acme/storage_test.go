package acme_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/testkit"
)

// The KV adapter follows certmagic's Storage contract: missing keys are
// fs.ErrNotExist, "directories" exist, list and delete with what is
// below them.
func TestStorageContract(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	s := acme.NewStorage(st, "node-a")
	if _, err := s.Load(ctx, "certificates/ca/a.example/a.example.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing key: %v, want fs.ErrNotExist", err)
	}
	for _, k := range []string{"certificates/ca/a.example/a.example.crt", "certificates/ca/a.example/a.example.key",
		"certificates/ca/b.example/b.example.crt", "acme/ca/users/default/default.json"} {
		if err := s.Store(ctx, k, []byte("v:"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.Load(ctx, "certificates/ca/a.example/a.example.key"); err != nil || string(v) != "v:certificates/ca/a.example/a.example.key" {
		t.Errorf("Load = %q, %v", v, err)
	}
	if !s.Exists(ctx, "certificates/ca") || !s.Exists(ctx, "certificates/ca/b.example/b.example.crt") || s.Exists(ctx, "certificates/cb") {
		t.Error("Exists wrong for a directory, a value or a missing key")
	}
	got, err := s.List(ctx, "certificates/ca", false)
	if want := []string{"certificates/ca/a.example", "certificates/ca/b.example"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("List non-recursive = %q, %v; want %q", got, err, want)
	}
	got, err = s.List(ctx, "certificates", true)
	if err != nil || len(got) != 3 {
		t.Errorf("List recursive = %q, %v; want the 3 keys", got, err)
	}
	if _, err := s.List(ctx, "nothing", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of nothing: %v, want fs.ErrNotExist", err)
	}
	if ki, err := s.Stat(ctx, "certificates/ca/a.example"); err != nil || ki.IsTerminal {
		t.Errorf("Stat of a directory = %+v, %v", ki, err)
	}
	if ki, err := s.Stat(ctx, "acme/ca/users/default/default.json"); err != nil || !ki.IsTerminal || ki.Size != int64(len("v:acme/ca/users/default/default.json")) {
		t.Errorf("Stat of a value = %+v, %v", ki, err)
	}
	if err := s.Delete(ctx, "certificates/ca/a.example"); err != nil {
		t.Fatal(err)
	}
	if s.Exists(ctx, "certificates/ca/a.example") || !s.Exists(ctx, "certificates/ca/b.example") {
		t.Error("Delete of a directory: wrong keys left")
	}
	if err := s.Delete(ctx, "certificates/ca/a.example"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
}

// Lock excludes every other holder, in this process or on another node
// sharing the store, until Unlock.
func TestStorageLock(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	a, b := acme.NewStorage(st, "node-a"), acme.NewStorage(st, "node-b")
	if err := a.Lock(ctx, "issue_cert_a.example"); err != nil {
		t.Fatal(err)
	}
	for _, other := range []*acme.Storage{a, b} {
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		if err := other.Lock(short, "issue_cert_a.example"); err == nil {
			t.Error("a second holder got the lock")
		}
		cancel()
	}
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx, "issue_cert_a.example") }()
	if err := a.Unlock(ctx, "issue_cert_a.example"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting node did not get the lock after Unlock")
	}
	if err := b.Unlock(ctx, "issue_cert_a.example"); err != nil {
		t.Fatal(err)
	}
}
