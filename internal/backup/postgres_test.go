package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/postgres"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestPostgresBackup: in PostgreSQL mode a backup keeps the files outside
// the database and a manifest of the live store, which VerifyStore
// compares with a store (the live one here, as pg_restore would bring
// it back): equal, then one message more is found.
func TestPostgresBackup(t *testing.T) {
	if os.Getenv("PETREL_TEST_POSTGRES") == "" {
		t.Skip("set PETREL_TEST_POSTGRES to a PostgreSQL server's URL")
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, testkit.PostgresDatabase(t), postgres.Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	a, err := st.CreateAccount(ctx, "a@example.org", "x")
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(body string) {
		if d, err := st.Deliver(ctx, store.NewMessage{Body: strings.NewReader(body)}, []store.Target{{Account: a.ID}}); err != nil || d[0].Err != nil {
			t.Fatalf("deliver: %v %v", err, d)
		}
	}
	deliver("Subject: one\r\n\r\nbody one\r\n")
	deliver("Subject: two\r\n\r\n" + strings.Repeat("a long body line\r\n", 20000))
	cfg := filepath.Join(t.TempDir(), "petrel.toml")
	os.WriteFile(cfg, []byte("[storage]\ndriver = \"postgres\"\n"), 0o600)
	dest := filepath.Join(t.TempDir(), "backup")
	rep, err := Run(ctx, Options{DataDir: t.TempDir(), Dest: dest, Live: st, Driver: "postgres",
		Files: []File{{Name: "config/petrel.toml", Path: cfg}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Manifest.Database != "" || len(rep.Manifest.Mailboxes) == 0 {
		t.Fatalf("manifest %+v", rep.Manifest)
	}
	m, err := VerifyBackup(ctx, dest, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyStore(ctx, st, m, nil); err != nil {
		t.Fatalf("verify against the store backed up: %v", err)
	}
	restored := filepath.Join(t.TempDir(), "data")
	if _, err := Restore(ctx, RestoreOptions{Backup: dest, DataDir: restored}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(restored, "config", "petrel.toml")); err != nil || !strings.Contains(string(b), "postgres") {
		t.Fatalf("restored config %q, %v", b, err)
	}
	deliver("Subject: three\r\n\r\nbody three\r\n")
	if err := VerifyStore(ctx, st, m, nil); err == nil || !strings.Contains(err.Error(), "3 messages, 2 in the manifest") {
		t.Fatalf("verify against a store with one message more: %v", err)
	}
}
