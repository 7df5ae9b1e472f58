package sievescripts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// Load names the active script and hashes its source (a new version, a
// new hash); a stored source that no longer compiles comes back with its
// error, not as a failure of the store.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	s := sievescripts.New(st, sieve.Limits{})
	const addr = "alice@example.org"
	if l, err := s.Load(ctx, addr); err != nil || l.Name != "" || l.Script != nil {
		t.Fatalf("no script: %+v, %v", l, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Put(ctx, addr, "main", []byte("keep;")))
	must(s.Activate(ctx, addr, "main"))
	first, err := s.Load(ctx, addr)
	if err != nil || first.Name != "main" || first.Script == nil || first.Err != nil || len(first.Hash) != 64 {
		t.Fatalf("Load: %+v, %v", first, err)
	}
	must(s.Put(ctx, addr, "main", []byte("keep;\n")))
	if second, _ := s.Load(ctx, addr); second.Hash == first.Hash {
		t.Error("a new version has the same hash")
	}
	must(st.KVStore(ctx, "sieve/alice@example.org/script/main", []byte("if {")))
	l, err := s.Load(ctx, addr)
	var se *sieve.Error
	if err != nil || l.Script != nil || !errors.As(l.Err, &se) {
		t.Fatalf("a source that no longer compiles: %+v, %v", l, err)
	}
	if _, err := s.Active(ctx, addr); err == nil {
		t.Error("Active of a script that does not compile: no error")
	}
	must(s.Put(ctx, addr, "lib", []byte("discard;")))
	if sc, err := s.Include(ctx, addr, "lib"); sc == nil || err != nil {
		t.Errorf("Include lib: %v", err)
	}
	if _, err := s.Include(ctx, addr, "nope"); !errors.Is(err, sievescripts.ErrNotFound) {
		t.Errorf("Include of a missing script: %v", err)
	}
}

// The operator's scripts: CompileFile names the file and the line, Dir
// loads NAME.sieve and refuses names with a slash.
func TestGlobalScripts(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spam.sieve"), []byte("keep;"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.sieve")
	if err := os.WriteFile(bad, []byte("keep;\n  frob;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sievescripts.CompileFile(bad, sieve.Limits{}); err == nil ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 2, column 3") {
		t.Errorf("CompileFile of a broken script: %v", err)
	}
	if _, err := sievescripts.CompileFile(filepath.Join(dir, "missing.sieve"), sieve.Limits{}); err == nil {
		t.Error("CompileFile of a missing file: no error")
	}
	d := sievescripts.NewDir(dir, sieve.Limits{})
	if sc, err := d.Include("spam"); sc == nil || err != nil {
		t.Errorf("Include spam: %v", err)
	}
	if _, err := d.Include("../spam"); !errors.Is(err, sievescripts.ErrBadName) {
		t.Errorf("Include ../spam: %v", err)
	}
}
