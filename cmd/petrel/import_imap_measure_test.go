package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestMeasureIMAPImport measures petrel import from an IMAP server
// (Petrel's imapd on loopback, TLS) of PETREL_MEASURE_N*1.5 messages of
// about 4 KiB under /usr/bin/time -v, twice: the wall time and peak RSS
// of a first run and of a run with nothing to move (docs/benchmarks.md
// §Import from IMAP). It asserts nothing; it is skipped without
// PETREL_MEASURE_N.
func TestMeasureIMAPImport(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PETREL_MEASURE_N"))
	if n == 0 {
		t.Skip()
	}
	bin := buildPetrel(t)
	srcDir := t.TempDir()
	srcStore := testkit.OpenStore(t, srcDir)
	acct := testkit.AddUser(t, testkit.Accounts(srcStore, accounts.Options{HashConcurrency: 2}), "alice@example.net", "source-pw")
	fillSource(t, srcStore, acct.ID, n)
	srv := serveIMAP(t, srcStore, srcDir)
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw-1234567890\n", "user", "add", "a@example.org", "--password-stdin")
	url := "imaps://alice%40example.net@" + strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	for i := range 2 {
		cmd := exec.Command("/usr/bin/time", "-v", bin, "import", "a@example.org", url, "--ca-file", srv.certPath, "--config", e.config)
		cmd.Stdin = strings.NewReader("source-pw\n")
		out, err := cmd.CombinedOutput()
		var keep []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "imported") || strings.Contains(l, "Maximum resident") || strings.Contains(l, "Elapsed (wall") {
				keep = append(keep, strings.TrimSpace(l))
			}
		}
		t.Logf("run %d (%v): %s", i+1, err, strings.Join(keep, " | "))
	}
}
