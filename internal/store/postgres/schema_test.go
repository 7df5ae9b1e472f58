package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestConcurrentOpen: nodes starting at once on an empty database all
// open it, and the schema is migrated once (a second run of the first
// migration would fail on its CREATE TABLE).
func TestConcurrentOpen(t *testing.T) {
	dsn := newDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := openTest(dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	if v := schemaVersion(t, dsn); v != len(migrations) {
		t.Fatalf("schema version %d after Open, want %d", v, len(migrations))
	}
}

// TestNewerSchemaRefused: a database migrated by a newer program is not
// opened, and the error names both versions.
func TestNewerSchemaRefused(t *testing.T) {
	dsn := newDatabase(t)
	s, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	newer := len(migrations) + 1
	execSQL(t, dsn, `UPDATE petrel_schema SET version = `+strconv.Itoa(newer))
	_, err = openTest(dsn)
	if err == nil || !IsNewerSchema(err) {
		t.Fatalf("Open of a newer schema: %v, want a refusal", err)
	}
	for _, v := range []int{newer, len(migrations)} {
		if !strings.Contains(err.Error(), strconv.Itoa(v)) {
			t.Errorf("refusal %q does not name version %d", err, v)
		}
	}
	if v := schemaVersion(t, dsn); v != newer {
		t.Fatalf("the refused Open changed the version to %d", v)
	}
}

func schemaVersion(t *testing.T, dsn string) int {
	t.Helper()
	var v int
	withConn(t, dsn, func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), `SELECT version FROM petrel_schema`).Scan(&v)
	})
	return v
}

func execSQL(t *testing.T, dsn, q string, args ...any) {
	t.Helper()
	withConn(t, dsn, func(c *pgx.Conn) error {
		_, err := c.Exec(context.Background(), q, args...)
		return err
	})
}

func withConn(t *testing.T, dsn string, fn func(*pgx.Conn) error) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := fn(c); err != nil {
		t.Fatal(err)
	}
}

// TestBodiesCompressedLZ4: on a server built with lz4, migration 4 makes
// the body and metadata columns use it (docs/benchmarks.md), and a stored
// body is compressed with it.
func TestBodiesCompressedLZ4(t *testing.T) {
	dsn := newDatabase(t)
	s, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var has bool
	withConn(t, dsn, func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), `SELECT 'lz4' = ANY(enumvals) FROM pg_settings
			WHERE name = 'default_toast_compression'`).Scan(&has)
	})
	if !has {
		t.Skip("server built without lz4")
	}
	var cols []string
	withConn(t, dsn, func(c *pgx.Conn) error {
		rows, err := c.Query(context.Background(), `SELECT attrelid::regclass::text || '.' || attname FROM pg_attribute
			WHERE attrelid IN ('blobs'::regclass, 'blob_chunks'::regclass) AND attname IN ('data', 'meta')
			AND attcompression = 'l' ORDER BY 1`)
		if err != nil {
			return err
		}
		cols, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if want := "blob_chunks.data blobs.data blobs.meta"; strings.Join(cols, " ") != want {
		t.Fatalf("lz4 columns %q, want %q", strings.Join(cols, " "), want)
	}
	execSQL(t, dsn, `INSERT INTO blobs(size, refs, chunk, data) VALUES (8000, 1, 0, convert_to(repeat('abc', 2700), 'UTF8'))`)
	var method string
	withConn(t, dsn, func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), `SELECT pg_column_compression(data) FROM blobs`).Scan(&method)
	})
	if method != "lz4" {
		t.Fatalf("a stored body compressed with %q, want lz4", method)
	}
}
