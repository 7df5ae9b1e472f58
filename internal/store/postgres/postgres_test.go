package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/storetest"
)

// testEnv names the server the tests run against: a URL of a role that
// may create databases (.ci/run sets it). Without it the tests skip.
const testEnv = "PETREL_TEST_POSTGRES"

// newDatabase creates an empty database for one test, dropped at its end,
// and returns its URL.
func newDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(testEnv)
	if admin == "" {
		t.Skip(testEnv + " is not set: no PostgreSQL server to test against")
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL: %q", testEnv, admin)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "petrel_test_" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", testEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func openTest(dsn string) (*Store, error) {
	return Open(context.Background(), dsn, Options{MaxConns: 4, CallerClock: true, TextExtractor: imapmsg.IndexText})
}

func backend() storetest.Backend {
	return storetest.Backend{
		NewInstance: newDatabase,
		Open:        func(dsn string) (store.Store, error) { return openTest(dsn) },
		OpenPlain: func(dsn string) (store.Store, error) {
			return Open(context.Background(), dsn, Options{MaxConns: 4, CallerClock: true})
		},
		Indexes: true,
		OpenIndexing: func(dsn string, idle time.Duration) (store.Store, error) {
			return Open(context.Background(), dsn, Options{MaxConns: 4, CallerClock: true, TextExtractor: imapmsg.IndexText,
				IndexInBackground: true, IndexIdle: idle})
		},
	}
}

func TestMain(m *testing.M) {
	storetest.CrashChild(storetest.Backend{
		Open: func(dsn string) (store.Store, error) {
			return Open(context.Background(), dsn, Options{MaxConns: 24, TextExtractor: imapmsg.IndexText})
		},
	})
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) { storetest.Run(t, backend()) }

func TestCrash(t *testing.T) { storetest.TestCrash(t, backend()) }

func BenchmarkDeliverParallel(b *testing.B) {
	be := backend()
	be.Open = func(dsn string) (store.Store, error) { return Open(context.Background(), dsn, Options{MaxConns: 32}) }
	for _, c := range []struct {
		name string
		size int
	}{{"4KiB", 4 << 10}, {"100KiB", 100 << 10}} {
		b.Run(c.name, func(b *testing.B) { storetest.BenchmarkDeliver(b, be, c.size, 64, 100) })
	}
}

func BenchmarkAppendParallel(b *testing.B) {
	storetest.BenchmarkAppend(b, backend(), 4<<10, 16, 100)
}
