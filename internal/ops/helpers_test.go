package ops

import (
	"context"
	"errors"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// openStore opens a SQLite store in a temporary directory, closed at the
// end of the test.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newDirectory is the directory operations on a new store (cheap password
// hashes).
func newDirectory(t *testing.T) (*Directory, store.Store) {
	t.Helper()
	st := openStore(t)
	acc := accounts.New(st, accounts.Options{SubaddressSeparator: "+", Argon: &accounts.ArgonParams{Time: 1, Memory: 64, Threads: 1}})
	return NewDirectory(acc), st
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantKind asserts that err is an *Error of kind k.
func wantKind(t *testing.T, what string, err error, k Kind) {
	t.Helper()
	var e *Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %s", what, k)
	case !errors.As(err, &e):
		t.Errorf("%s: %T %v, want an *ops.Error", what, err, err)
	case e.Kind != k:
		t.Errorf("%s: kind %s (%v), want %s", what, e.Kind, err, k)
	}
}
