package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/config"
)

// TestOpenStorePostgres: storage.driver "postgres" opens the database of
// storage.dsn (PETREL_TEST_POSTGRES names a server; skipped without one),
// and data written through one opening is there in the next.
func TestOpenStorePostgres(t *testing.T) {
	admin := os.Getenv("PETREL_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PETREL_TEST_POSTGRES is not set: no PostgreSQL server to test against")
	}
	ctx := context.Background()
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "petrel_test_cli_" + hex.EncodeToString(rnd[:])
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Storage.Driver, cfg.Storage.DSN = "postgres", u.String()
	log := slog.New(slog.DiscardHandler)
	for i, server := range []bool{true, false} {
		st, err := openStore(ctx, cfg, log, nil, server)
		if err != nil {
			t.Fatalf("openStore(postgres): %v", err)
		}
		if i == 0 {
			err = st.AddDomain(ctx, "example.org")
		} else if ok, herr := st.HasDomain(ctx, "example.org"); !ok || herr != nil {
			t.Errorf("the domain added through the first opening is missing: %v, %v", ok, herr)
		}
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
