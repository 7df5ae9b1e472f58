package main

// Interop (PETREL_INTEROP=1): Debian's sieve-connect, an independent
// ManageSieve client, uploads, lists, activates and downloads a script
// through STARTTLS on listen.managesieve, verifying the server's
// self-signed certificate; delivery's store sees the active script,
// which cannot be deleted until deactivated; a broken script is refused
// with the line the client shows its user.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
)

// sieveConnect runs sieve-connect against port as pop3User, the password
// on standard input, trusting the server's certificate file; it returns
// the output and how the run ended.
func sieveConnect(t *testing.T, dir, port, caFile string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := []string{"--nosrv", "--server", "localhost", "--port", port, "--user", pop3User,
		"--passwordfd", "0", "--tlscafile", caFile, "--noclearauth", "--noclearchan", "--authmech", "PLAIN"}
	cmd := exec.CommandContext(ctx, interopTool(t, "sieve-connect"), append(base, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Stdin = strings.NewReader(pop3Password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestManageSieveSieveConnect(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	interopTool(t, "sieve-connect")
	s, addr := startManageSieve(t)
	_, port := hostPort(t, addr)
	ca := filepath.Join(certs.Dir(s.dataDir), certs.CertFile)
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := sieveConnect(t, dir, port, ca, args...)
		if err != nil {
			t.Fatalf("sieve-connect %s: %v\n%s\nserver log:\n%s", strings.Join(args, " "), err, out, s.log.String())
		}
		return out
	}
	const script = "require [\"fileinto\"];\r\nif header :contains \"subject\" \"[list]\" {\r\n  fileinto \"Lists\";\r\n}\r\n"
	local := filepath.Join(dir, "filters.sieve")
	if err := os.WriteFile(local, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	run("--upload", "--localsieve", local, "--remotesieve", "main")
	if out := run("--list"); !strings.Contains(out, "main") {
		t.Fatalf("--list after upload:\n%s", out)
	}
	run("--activate", "--remotesieve", "main")
	if out := run("--list"); !strings.Contains(out, "main") || !strings.Contains(strings.ToLower(out), "active") {
		t.Fatalf("--list after activate does not mark main active:\n%s", out)
	}
	got := filepath.Join(dir, "downloaded.sieve")
	run("--download", "--remotesieve", "main", "--localsieve", got)
	if b, err := os.ReadFile(got); err != nil || string(b) != script {
		t.Fatalf("downloaded %q (%v), want %q", b, err, script)
	}
	if out := s.cli("", "sieve", "list", pop3User); !strings.Contains(out, "main") || !strings.Contains(out, "(active)") {
		t.Fatalf("petrel sieve list: %q, want main active", out)
	}

	if out, err := sieveConnect(t, dir, port, ca, "--delete", "--remotesieve", "main"); err == nil {
		t.Fatalf("deleting the active script succeeded:\n%s", out)
	}
	run("--deactivate")
	run("--delete", "--remotesieve", "main")
	if out := run("--list"); strings.Contains(out, "main") {
		t.Fatalf("--list after delete:\n%s", out)
	}

	broken := filepath.Join(dir, "broken.sieve")
	if err := os.WriteFile(broken, []byte("require \"fileinto\";\nfileinto \"x\"\nkeep;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := sieveConnect(t, dir, port, ca, "--upload", "--localsieve", broken, "--remotesieve", "broken")
	t.Logf("sieve-connect on a broken script:\n%s", out)
	if err == nil || !strings.Contains(out, "line 3, column 1") {
		t.Fatalf("uploading a broken script: %v\n%s\nwant a failure naming line 3, column 1", err, out)
	}
	if out := s.cli("", "sieve", "list", pop3User); strings.Contains(out, "broken") {
		t.Fatalf("the broken script was stored: %q", out)
	}
}
