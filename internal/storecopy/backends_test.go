package storecopy

import (
	"context"
	"os"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/postgres"
	"github.com/petrelmail/petrel/internal/testkit"
)

// backend opens an empty store of one backend for a test.
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

// backends are the stores a copy is tested from and into: SQLite, and
// PostgreSQL when PETREL_TEST_POSTGRES names a server.
func backends() []backend {
	bs := []backend{{"sqlite", func(t *testing.T) store.Store { return testkit.NewStore(t) }}}
	if os.Getenv("PETREL_TEST_POSTGRES") != "" {
		bs = append(bs, backend{"postgres", newPostgresStore})
	}
	return bs
}

// forEachPair runs fn for every pair of backends, source and destination.
func forEachPair(t *testing.T, fn func(t *testing.T, src, dst store.Store)) {
	for _, a := range backends() {
		for _, b := range backends() {
			t.Run(a.name+"-to-"+b.name, func(t *testing.T) { fn(t, a.open(t), b.open(t)) })
		}
	}
}

// newPostgresStore opens a store on a new database
// (testkit.PostgresDatabase), closed at the test's end.
func newPostgresStore(t *testing.T) store.Store {
	s, err := postgres.Open(context.Background(), testkit.PostgresDatabase(t), postgres.Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
