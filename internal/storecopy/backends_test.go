package storecopy

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

// newPostgresStore opens a store on a new database (postgresDatabase),
// closed at the test's end.
func newPostgresStore(t *testing.T) store.Store {
	s, err := postgres.Open(context.Background(), postgresDatabase(t), postgres.Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresDatabase creates an empty database on the server that
// PETREL_TEST_POSTGRES names (skipping without one), dropped at the
// test's end, and returns its URL.
func postgresDatabase(t *testing.T) string {
	admin := os.Getenv("PETREL_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PETREL_TEST_POSTGRES is not set: no PostgreSQL server to test against")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = fmt.Sprintf("/petrel_test_copy_%d", time.Now().UnixNano())
	ctx := context.Background()
	exec := func(q string) error {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, q)
		return err
	}
	name := u.Path[1:]
	if err := exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return u.String()
}
