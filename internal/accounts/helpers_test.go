package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// cheapArgon keeps tests fast; the hash format is the same.
func cheapArgon() *ArgonParams { return &ArgonParams{Time: 1, Memory: 64, Threads: 1} }

// fixture is a Service on a fake directory holding the domain example.org
// and the IDN domain bücher.example.
type fixture struct {
	t   *testing.T
	ctx context.Context
	svc *Service
	dir *fakeDir
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	if opts.Argon == nil {
		opts.Argon = cheapArgon()
	}
	f := &fixture{t: t, ctx: context.Background(), dir: newFakeDir()}
	f.svc = New(f.dir, opts)
	for _, d := range []string{"example.org", "bücher.example"} {
		if err := f.svc.AddDomain(f.ctx, d); err != nil {
			t.Fatalf("AddDomain(%q): %v", d, err)
		}
	}
	return f
}

func (f *fixture) user(address string) store.Account {
	f.t.Helper()
	a, err := f.svc.AddUser(f.ctx, address, "secret "+address)
	if err != nil {
		f.t.Fatalf("AddUser(%q): %v", address, err)
	}
	return a
}

func (f *fixture) alias(address string, targets ...string) {
	f.t.Helper()
	if err := f.svc.AddAlias(f.ctx, address, targets); err != nil {
		f.t.Fatalf("AddAlias(%q, %q): %v", address, targets, err)
	}
}

func (f *fixture) extra(account, address string) {
	f.t.Helper()
	if err := f.svc.AddAddress(f.ctx, account, address); err != nil {
		f.t.Fatalf("AddAddress(%q, %q): %v", account, address, err)
	}
}

// wantErr fails unless err is a store error of kind whose message
// contains every one of words.
func wantErr(t *testing.T, what string, err error, kind store.Kind, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	if got := store.KindOf(err); got != kind {
		t.Fatalf("%s: error kind %v (%v), want %v", what, got, err, kind)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not mention %q", what, err, w)
		}
	}
}

func wantNotLocal(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, store.KindNotFound, "is not a local domain", `"petrel domain add"`)
	if !errors.Is(err, ErrNotLocal) {
		t.Errorf("%s: %v does not wrap ErrNotLocal", what, err)
	}
}
