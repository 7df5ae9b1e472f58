package main

import (
	"strings"
	"testing"
)

// petrel sieve: check prints a script's error with its line, put refuses
// a broken script, and put, activate, list, get and delete work on an
// account's scripts.
func TestSieveCLI(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "alice@example.org", "--password-stdin")
	const broken = "require \"fileinto\";\nfileinto \"x\"\nkeep;\n"
	if r := e.run(broken, "sieve", "check"); r.code != exitFail || !strings.Contains(r.stderr, "line 3, column 1") {
		t.Errorf("check of a broken script: exit %d, %q; want 1 and its line", r.code, r.stderr)
	}
	if out := e.ok("keep;\n", "sieve", "check"); out != "ok\n" {
		t.Errorf("check of a good script: %q", out)
	}
	if r := e.run(broken, "sieve", "put", "alice@example.org", "main"); r.code != exitFail {
		t.Errorf("put of a broken script: exit %d", r.code)
	}
	e.ok("require \"fileinto\";\nfileinto \"Archive\";\n", "sieve", "put", "alice@example.org", "main")
	e.ok("", "sieve", "activate", "alice@example.org", "main")
	if out := e.ok("", "sieve", "list", "alice@example.org"); !strings.Contains(out, "main") || !strings.Contains(out, "(active)") {
		t.Errorf("list: %q", out)
	}
	if out := e.ok("", "sieve", "get", "alice@example.org", "main"); !strings.Contains(out, `fileinto "Archive"`) {
		t.Errorf("get: %q", out)
	}
	if r := e.run("", "sieve", "delete", "alice@example.org", "main"); r.code != exitFail {
		t.Errorf("delete of the active script: exit %d", r.code)
	}
	e.ok("", "sieve", "deactivate", "alice@example.org")
	e.ok("", "sieve", "delete", "alice@example.org", "main")
	if r := e.run("", "sieve", "list", "nobody@example.org"); r.code != exitFail {
		t.Errorf("list of a missing account: exit %d", r.code)
	}
	if r := e.run("", "sieve", "put", "alice@example.org"); r.code != exitUsage {
		t.Errorf("put without a name: exit %d, want usage", r.code)
	}
}
