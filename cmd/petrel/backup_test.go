package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupCommands runs backup, backup verify and restore in process,
// and their refusals: no store, a destination inside the data directory,
// a second backup into a directory being written, a restore into a
// directory that is not empty.
func TestBackupCommands(t *testing.T) {
	e := newEnv(t, "")
	dest := filepath.Join(e.dir, "backup")
	if r := e.run("", "backup", dest); r.code != 1 || !strings.Contains(r.stderr, "no store in the data directory") {
		t.Fatalf("backup without a store: %+v", r)
	}
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "a@example.org", "--password-stdin")
	if r := e.run("", "backup", filepath.Join(e.dataDir, "backup")); r.code != 2 || !strings.Contains(r.stderr, "inside the data directory") {
		t.Fatalf("backup into the data directory: %+v", r)
	}
	keep := map[string]string{"dkim/example.org/sel.pem.imported": "a key", "tls/cert.pem": "a certificate"}
	for name, text := range keep {
		p := filepath.Join(e.dataDir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out := e.ok("", "backup", dest); !strings.Contains(out, "complete") {
		t.Fatalf("backup: %s", out)
	}
	release, err := lockBackup(dest)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.run("", "backup", dest); r.code != 1 || !strings.Contains(r.stderr, "another backup is writing") {
		t.Fatalf("a second backup at once: %+v", r)
	}
	release()
	if out := e.ok("", "backup", "verify", dest); !strings.Contains(out, "verified: 6 mailboxes, 0 messages") {
		t.Fatalf("backup verify: %s", out)
	}
	full := filepath.Join(e.dir, "full")
	os.MkdirAll(full, 0o700)
	os.WriteFile(filepath.Join(full, "x"), nil, 0o600)
	if r := e.run("", "restore", dest, full); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Fatalf("restore into a directory that is not empty: %+v", r)
	}
	restored := filepath.Join(e.dir, "restored")
	if out := e.ok("", "restore", dest, restored); !strings.Contains(out, "verified: 6 mailboxes") {
		t.Fatalf("restore: %s", out)
	}
	for name, text := range keep {
		if got, err := os.ReadFile(filepath.Join(restored, name)); err != nil || string(got) != text {
			t.Errorf("restored %s: %q, %v", name, got, err)
		}
	}
	want, _ := os.ReadFile(e.config)
	if got, err := os.ReadFile(filepath.Join(restored, "config", "petrel.toml")); err != nil || string(got) != string(want) {
		t.Fatalf("restored configuration %q, %v", got, err)
	}
}
