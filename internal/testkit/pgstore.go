package testkit

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
)

// PostgresDatabase creates an empty database on the PostgreSQL server
// that PETREL_TEST_POSTGRES names (skipping the test without one),
// dropped at the test's end, and returns its URL.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("PETREL_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PETREL_TEST_POSTGRES is not set: no PostgreSQL server to test against")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("petrel_test_kit_%d", time.Now().UnixNano())
	u.Path = "/" + name
	exec := func(q string) error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, q)
		return err
	}
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

// OpenPostgres opens a store on the database at dsn (PostgresDatabase),
// closed at the test's end; two opened on one database are two nodes.
func OpenPostgres(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
