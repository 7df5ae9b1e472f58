package sievescripts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// Scripts are compiled before they are stored (an error names its line
// and column, nothing is stored), one per account is active, the active
// one cannot be deleted, and names are bounded.
func TestScripts(t *testing.T) {
	ctx := context.Background()
	s := sievescripts.New(testkit.NewStore(t), sieve.Limits{})
	const addr = "alice@example.org"
	err := s.Put(ctx, addr, "bad", []byte("require \"fileinto\";\nfileinto \"x\"\nkeep;\n"))
	var se *sieve.Error
	if !errors.As(err, &se) || se.Pos.Line == 0 {
		t.Fatalf("a broken script: %v, want a *sieve.Error with its line", err)
	}
	if infos, _ := s.List(ctx, addr); len(infos) != 0 {
		t.Fatalf("a broken script was stored: %+v", infos)
	}
	if err := s.Put(ctx, addr, "a/b", []byte("keep;")); !errors.Is(err, sievescripts.ErrBadName) {
		t.Errorf("name with /: %v", err)
	}
	for _, n := range []string{"one", "two"} {
		if err := s.Put(ctx, addr, n, []byte("keep;")); err != nil {
			t.Fatal(err)
		}
	}
	if sc, err := s.Active(ctx, addr); sc != nil || err != nil {
		t.Fatalf("nothing active yet: %v, %v", sc, err)
	}
	if err := s.Activate(ctx, addr, "nope"); !errors.Is(err, sievescripts.ErrNotFound) {
		t.Errorf("activate a missing script: %v", err)
	}
	if err := s.Activate(ctx, addr, "two"); err != nil {
		t.Fatal(err)
	}
	if sc, err := s.Active(ctx, addr); sc == nil || err != nil {
		t.Fatalf("active: %v, %v", sc, err)
	}
	infos, err := s.List(ctx, "Alice@Example.org")
	if err != nil || len(infos) != 2 || infos[0].Name != "one" || infos[0].Active || !infos[1].Active {
		t.Fatalf("List = %+v, %v; want one, two (active)", infos, err)
	}
	if err := s.Delete(ctx, addr, "two"); !errors.Is(err, sievescripts.ErrActive) {
		t.Errorf("delete the active script: %v", err)
	}
	if err := s.Activate(ctx, addr, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, addr, "two"); err != nil {
		t.Errorf("delete after deactivating: %v", err)
	}
	if sc, _ := s.Active(ctx, addr); sc != nil {
		t.Errorf("a script is still active")
	}
}

// Rename moves a script to a free name, keeps it active when it was, and
// refuses a missing source, a taken name and a bad name.
func TestRename(t *testing.T) {
	ctx := context.Background()
	s := sievescripts.New(testkit.NewStore(t), sieve.Limits{})
	const addr = "alice@example.org"
	for _, n := range []string{"one", "two"} {
		if err := s.Put(ctx, addr, n, []byte("# "+n+"\nkeep;")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Activate(ctx, addr, "one"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(ctx, addr, "nope", "three"); !errors.Is(err, sievescripts.ErrNotFound) {
		t.Errorf("rename a missing script: %v", err)
	}
	if err := s.Rename(ctx, addr, "one", "two"); !errors.Is(err, sievescripts.ErrExists) {
		t.Errorf("rename onto an existing script: %v", err)
	}
	if err := s.Rename(ctx, addr, "one", "a/b"); !errors.Is(err, sievescripts.ErrBadName) {
		t.Errorf("rename to a bad name: %v", err)
	}
	if err := s.Rename(ctx, addr, "one", "three"); err != nil {
		t.Fatal(err)
	}
	infos, err := s.List(ctx, addr)
	if err != nil || len(infos) != 2 || infos[0].Name != "three" || !infos[0].Active || infos[1].Name != "two" || infos[1].Active {
		t.Fatalf("List after rename = %+v, %v; want three (active), two", infos, err)
	}
	if src, err := s.Get(ctx, addr, "three"); err != nil || string(src) != "# one\nkeep;" {
		t.Errorf("renamed script = %q, %v", src, err)
	}
	if sc, err := s.Active(ctx, addr); sc == nil || err != nil {
		t.Errorf("the renamed active script is not active: %v, %v", sc, err)
	}
	if err := s.Rename(ctx, addr, "two", "four"); err != nil {
		t.Fatal(err)
	}
	if infos, _ := s.List(ctx, addr); len(infos) != 2 || infos[0].Name != "four" || infos[0].Active || !infos[1].Active {
		t.Errorf("renaming an inactive script: %+v", infos)
	}
}
