package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCPUProfile: PETREL_CPUPROFILE=FILE writes a pprof profile (gzip)
// to FILE when the command ends; a file that cannot be created is
// reported and the command runs without.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv("PETREL_CPUPROFILE", path)
	var stderr bytes.Buffer
	stop := startCPUProfile(&stderr)
	stop()
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile: %d octets (%v), want a gzip-compressed pprof profile", len(b), err)
	}
	if stderr.Len() != 0 {
		t.Fatalf("stderr: %q", stderr.String())
	}
	t.Setenv("PETREL_CPUPROFILE", filepath.Join(t.TempDir(), "missing", "cpu.prof"))
	startCPUProfile(&stderr)()
	if !strings.Contains(stderr.String(), "PETREL_CPUPROFILE") {
		t.Fatalf("an uncreatable file: stderr %q, want a warning", stderr.String())
	}
}
