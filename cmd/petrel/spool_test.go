package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestResetSpool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := resetSpool(dir, log); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("spool dir: %v %v", fi, err)
	}
	left := filepath.Join(dir, "smtpd-123")
	if err := os.WriteFile(left, []byte("partial body"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := resetSpool(dir, log); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("leftover spool file still there: %v", err)
	}
	if !bytes.Contains(logs.Bytes(), []byte("smtpd-123")) {
		t.Fatalf("removal not logged: %s", logs.String())
	}
}
