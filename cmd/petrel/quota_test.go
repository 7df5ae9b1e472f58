package main

import "testing"

func TestUserQuota(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "ann@example.org", "--password-stdin")
	if got := e.ok("", "user", "quota", "ann@example.org"); got != "messages\t0\tunlimited\nbytes\t0\tunlimited\n" {
		t.Fatalf("quota of a new user: %q", got)
	}
	if got := e.ok("", "user", "quota", "ANN@example.org", "1MiB", "100"); got != "messages\t0\t100\nbytes\t0\t1048576\n" {
		t.Fatalf("quota after setting: %q", got)
	}
	for _, bad := range [][]string{
		{"user", "quota", "nobody@example.org"},
		{"user", "quota", "ann@example.org", "lots", "1"},
		{"user", "quota", "ann@example.org", "1MB", "-1"},
		{"user", "quota", "ann@example.org", "1MB"},
	} {
		if r := e.run("", bad...); r.code == 0 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
	if got := e.ok("", "user", "quota", "ann@example.org"); got != "messages\t0\t100\nbytes\t0\t1048576\n" {
		t.Fatalf("a refused change changed the quota: %q", got)
	}
}
