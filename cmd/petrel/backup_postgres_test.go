package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupPostgres follows README "Backup and restore" for PostgreSQL:
// petrel backup (files and manifest), pg_dump, pg_restore into a new
// database, petrel restore (the files), petrel backup verify against the
// new database; and verify reports a mailbox the manifest lacks.
func TestBackupPostgres(t *testing.T) {
	src := postgresDatabase(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	e := newEnv(t, "[storage]\ndriver = \"postgres\"\ndsn = \""+src+"\"\n")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "a@example.org", "--password-stdin")
	dest := filepath.Join(e.dir, "backup")
	if out := e.ok("", "backup", dest); !strings.Contains(out, "complete") || !strings.Contains(out, "pg_dump") {
		t.Fatalf("backup: %s", out)
	}
	dump := filepath.Join(e.dir, "petrel.dump")
	if out, err := exec.Command("pg_dump", "-Fc", "-f", dump, src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dst := postgresDatabase(t)
	if out, err := exec.Command("pg_restore", "--no-owner", "-d", dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restored := filepath.Join(e.dir, "restored")
	if out := e.ok("", "restore", dest, restored); !strings.Contains(out, "pg_restore") {
		t.Fatalf("restore: %s", out)
	}
	if _, err := os.Stat(filepath.Join(restored, "config", "petrel.toml")); err != nil {
		t.Fatal(err)
	}
	n := newEnv(t, "[storage]\ndriver = \"postgres\"\ndsn = \""+dst+"\"\n")
	if out := n.ok("", "backup", "verify", dest); !strings.Contains(out, "verified: 6 mailboxes") {
		t.Fatalf("backup verify against the restored database: %s", out)
	}
	n.ok("pw\n", "user", "add", "b@example.org", "--password-stdin")
	if r := n.run("", "backup", "verify", dest); r.code != 1 || !strings.Contains(r.stderr, "b@example.org INBOX: not in the manifest") {
		t.Fatalf("backup verify with an account more: %+v", r)
	}
}
