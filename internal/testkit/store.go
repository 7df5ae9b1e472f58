package testkit

import (
	"context"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// OpenStore opens the SQLite store in dir; the caller closes it.
func OpenStore(t testing.TB, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir, TextExtractor: imapmsg.IndexText})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// NewStore opens a SQLite store in a new temporary directory, closed when
// the test ends.
func NewStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st := OpenStore(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	return st
}

// FastArgon is the cheapest argon2id setting: tests hash many passwords.
func FastArgon() *accounts.ArgonParams {
	return &accounts.ArgonParams{Time: 1, Memory: 64, Threads: 1}
}

// Accounts returns an accounts service on dir with opts, hashing with
// FastArgon unless opts sets Argon.
func Accounts(dir accounts.Directory, opts accounts.Options) *accounts.Service {
	if opts.Argon == nil {
		opts.Argon = FastArgon()
	}
	return accounts.New(dir, opts)
}

// AddUser creates the account addr with password pass, and its domain
// when that does not exist yet.
func AddUser(t testing.TB, auth *accounts.Service, addr, pass string) store.Account {
	t.Helper()
	ctx := context.Background()
	a, err := mailaddr.Parse(addr)
	if err != nil {
		t.Fatalf("AddUser(%q): %v", addr, err)
	}
	if err := auth.AddDomain(ctx, a.Domain); err != nil && !store.IsKind(err, store.KindExists) {
		t.Fatal(err)
	}
	acct, err := auth.AddUser(ctx, addr, pass)
	if err != nil {
		t.Fatal(err)
	}
	return acct
}
