package testkit

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresDatabase creates an empty database on the PostgreSQL server
// that PETREL_TEST_POSTGRES names (skipping the test without one),
// dropped at the test's end, and returns its URL. (testkit opens no
// PostgreSQL store: store/postgres's own tests import testkit.)
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
