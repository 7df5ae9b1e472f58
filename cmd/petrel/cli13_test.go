package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// COMMAND --help prints that command's usage on stdout with exit status 0.
func TestCommandHelp(t *testing.T) {
	e := newEnv(t, "")
	for _, cmd := range []string{"serve", "domain", "user", "alias", "queue", "dkim", "dns", "version"} {
		for _, flag := range []string{"--help", "-h"} {
			r := e.run("", cmd, flag)
			if r.code != exitOK || r.stderr != "" {
				t.Errorf("petrel %s %s: exit %d, stderr %q", cmd, flag, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "\n  "+cmd+" ") && !strings.Contains(r.stdout, "\n  "+cmd+"\t") {
				t.Errorf("petrel %s %s: usage of the command missing from stdout:\n%s", cmd, flag, r.stdout)
			}
			if cmd != "domain" && strings.Contains(r.stdout, "  domain ") {
				t.Errorf("petrel %s %s printed the usage of other commands:\n%s", cmd, flag, r.stdout)
			}
		}
	}
	if r := e.run("", "user", "quota", "--help"); r.code != exitOK || !strings.Contains(r.stdout, "--bytes N") {
		t.Errorf("petrel user quota --help: exit %d, stdout %q", r.code, r.stdout)
	}
}

// The global usage names every command and flag.
func TestGlobalUsageListsEverything(t *testing.T) {
	e := newEnv(t, "")
	r := e.run("", "--help")
	if r.code != exitOK {
		t.Fatalf("petrel --help: exit %d", r.code)
	}
	for _, want := range []string{"serve", "domain", "user", "quota", "unlock", "address", "alias", "queue", "dkim", "dns", "version",
		"--config", "--password-stdin", "--postmaster", "--bytes", "--messages", "--selector", "--algorithm", "--all", "--help"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("global usage lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := e.run(""); r.code != exitUsage || !strings.Contains(r.stderr, "--password-stdin") {
		t.Errorf("petrel without a command: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A bad quota argument, found once the store is open, is still a usage error.
func TestQuotaUsageErrorsExit2(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "ann@example.org", "--password-stdin")
	for _, bad := range [][]string{
		{"user", "quota", "ann@example.org", "lots", "1"},
		{"user", "quota", "ann@example.org", "1MB", "-1"},
		{"user", "quota", "ann@example.org", "1MB"},
		{"user", "quota", "ann@example.org", "--bytes", "lots"},
		{"user", "quota", "ann@example.org", "--messages", "-3"},
		{"user", "list", "--bytes", "1"},
	} {
		if r := e.run("", bad...); r.code != exitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2", bad, r.code, r.stderr)
		}
	}
}

// --bytes and --messages set one limit and keep the other.
func TestUserQuotaOneLimit(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "ann@example.org", "--password-stdin")
	e.ok("", "user", "quota", "ann@example.org", "1MiB", "100")
	if got := e.ok("", "user", "quota", "ann@example.org", "--bytes", "2MiB"); got != "messages\t0\t100\nbytes\t0\t2097152\n" {
		t.Fatalf("after --bytes: %q", got)
	}
	if got := e.ok("", "user", "quota", "--messages=7", "ann@example.org"); got != "messages\t0\t7\nbytes\t0\t2097152\n" {
		t.Fatalf("after --messages: %q", got)
	}
	if got := e.ok("", "user", "quota", "ann@example.org", "--bytes", "0", "--messages", "0"); got != "messages\t0\tunlimited\nbytes\t0\tunlimited\n" {
		t.Fatalf("after both: %q", got)
	}
}

// user address add|del manages an account's extra addresses.
func TestUserAddress(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "ann@example.org", "--password-stdin")
	e.ok("pw\n", "user", "add", "bob@example.org", "--password-stdin")
	e.ok("", "user", "address", "add", "ann@example.org", "anna@example.org")
	e.ok("", "user", "address", "add", "bob@example.org", "robert@example.org")
	if got := e.ok("", "user", "list"); got != "ann@example.org\tanna@example.org\nbob@example.org\trobert@example.org\n" {
		t.Fatalf("user list: %q", got)
	}
	// Removing another account's extra address is refused and changes nothing.
	if r := e.run("", "user", "address", "del", "ann@example.org", "robert@example.org"); r.code != exitFail || r.stderr == "" {
		t.Errorf("del of another account's address: exit %d, stderr %q", r.code, r.stderr)
	}
	e.ok("", "user", "address", "del", "ANN@example.org", "Anna@example.org")
	if got := e.ok("", "user", "list"); got != "ann@example.org\nbob@example.org\trobert@example.org\n" {
		t.Fatalf("user list after del: %q", got)
	}
	if r := e.run("", "user", "address", "move", "ann@example.org", "x@example.org"); r.code != exitUsage {
		t.Errorf("unknown address subcommand: exit %d", r.code)
	}
	if r := e.run("", "user", "address", "add", "ann@example.org"); r.code != exitUsage {
		t.Errorf("missing EXTRA: exit %d", r.code)
	}
}

// domain list shows an IDN's Unicode form beside its A-label.
func TestDomainListUnicode(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "bücher.example")
	e.ok("", "domain", "add", "example.org")
	if got := e.ok("", "domain", "list"); got != "example.org\nxn--bcher-kva.example\tbücher.example\n" {
		t.Fatalf("domain list: %q", got)
	}
}

// version names the module version and the revision whatever the build
// stamped: -X values first, then the go command's, else "devel"/"unknown".
func TestDescribeBuild(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.3.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	bare := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}
	cases := []struct {
		ver, rev string
		bi       *debug.BuildInfo
		want     string
	}{
		{"", "", stamped, "v0.3.0 rev 0123456789ab+modified go1.26.0"},
		{"", "", bare, "devel rev unknown go1.26.0"},
		{"v1.0.0", "fedcba9876543210", bare, "v1.0.0 rev fedcba987654 go1.26.0"},
		{"v1.0.0", "", nil, "v1.0.0 rev unknown unknown Go"},
	}
	for _, tc := range cases {
		if got := describeBuild(tc.ver, tc.rev, tc.bi); got != tc.want {
			t.Errorf("describeBuild(%q, %q): %q, want %q", tc.ver, tc.rev, got, tc.want)
		}
	}
}

// A release build embeds version and revision with -ldflags -X.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "petrel")
	cmd := exec.Command("go", "build", "-buildvcs=false", "-ldflags",
		"-X main.version=v9.8.7 -X main.revision=abcdef123456", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "petrel v9.8.7 rev abcdef123456 go") {
		t.Errorf("version of a release build: %q", out)
	}
}
