package ops

import (
	"context"
	"errors"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// newDirectory is the directory operations on a new store (cheap password
// hashes).
func newDirectory(t *testing.T) (*Directory, store.Store) {
	t.Helper()
	st := testkit.NewStore(t)
	acc := testkit.Accounts(st, accounts.Options{SubaddressSeparator: "+"})
	return NewDirectory(acc, ""), st
}

// addDomain adds a domain without naming its postmaster.
func addDomain(t *testing.T, d *Directory, domain string) {
	t.Helper()
	_, err := d.AddDomain(context.Background(), domain, "")
	must(t, err)
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
