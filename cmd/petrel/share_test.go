package main

import (
	"strings"
	"testing"
)

// TestShare: petrel share grants, changes (+/-) and revokes rights,
// lists them per account and mailbox and what an account can see, and
// refuses bad rights, unknown accounts and mailboxes and the owner as
// grantee without changing anything.
func TestShare(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("", "domain", "add", "example.net")
	for _, u := range []string{"ann@example.org", "bob@example.org", "cy@example.org", "dee@example.net"} {
		e.ok("pw\n", "user", "add", u, "--password-stdin")
	}
	e.ok("", "user", "address", "add", "bob@example.org", "robert@example.org")

	if got := e.ok("", "share", "ann@example.org", "Archive", "robert@example.org", "rl"); got != "Archive\tbob@example.org\tlr\n" {
		t.Fatalf("grant printed %q", got)
	}
	e.ok("", "share", "ann@example.org", "Archive", "anyone", "l")
	e.ok("", "share", "ann@example.org", "Sent", "dee@example.net", "lrs")
	e.ok("", "share", "ann@example.org", "Archive", "bob@example.org", "+wi")
	if got := e.ok("", "share", "ann@example.org", "Archive", "bob@example.org", "-w"); got != "Archive\tanyone\tl\nArchive\tbob@example.org\tlri\n" {
		t.Fatalf("after +wi and -w: %q", got)
	}
	wantList := "Archive\tanyone\tl\nArchive\tbob@example.org\tlri\nSent\tdee@example.net\tlrs\n"
	if got := e.ok("", "share", "list", "ann@example.org"); got != wantList {
		t.Fatalf("share list = %q, want %q", got, wantList)
	}
	if got := e.ok("", "share", "list", "ann@example.org", "Sent"); got != "Sent\tdee@example.net\tlrs\n" {
		t.Fatalf("share list Sent = %q", got)
	}
	for addr, want := range map[string]string{
		"bob@example.org": "ann@example.org\tArchive\tlri\n",
		"cy@example.org":  "ann@example.org\tArchive\tl\n", // anyone of example.org
		"dee@example.net": "ann@example.org\tSent\tlrs\n",  // not anyone: another domain
		"ann@example.org": "",                              // never her own
	} {
		if got := e.ok("", "share", "visible", addr); got != want {
			t.Errorf("share visible %s = %q, want %q", addr, got, want)
		}
	}

	for _, bad := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"share", "ann@example.org", "Archive", "cy@example.org", "lrz"}, exitUsage, "lrswipkxtea"},
		{[]string{"share", "ann@example.org", "Archive", "cy@example.org", "c"}, exitUsage, "RFC 4314"},
		{[]string{"share", "ann@example.org", "Archive", "ann@example.org", "lr"}, exitFail, "owns"},
		{[]string{"share", "ann@example.org", "Nope", "cy@example.org", "lr"}, exitFail, "no mailbox"},
		{[]string{"share", "ann@example.org", "Archive", "nobody@example.org", "lr"}, exitFail, "no account nobody@example.org"},
		{[]string{"share", "nobody@example.org", "INBOX", "cy@example.org", "lr"}, exitFail, "no account nobody@example.org"},
		{[]string{"share", "ann@example.org", "Archive", "cy@example.org"}, exitUsage, "usage"},
		{[]string{"share", "list", "ann@example.org", "Archive", "x"}, exitUsage, "usage"},
		{[]string{"share", "list", "ann@example.org", "--revoke"}, exitUsage, "--revoke"},
		{[]string{"share", "visible"}, exitUsage, "usage"},
	} {
		r := e.run("", bad.args...)
		if r.code != bad.code || !strings.Contains(r.stderr, bad.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", bad.args, r.code, r.stderr, bad.code, bad.msg)
		}
	}
	if got := e.ok("", "share", "list", "ann@example.org"); got != wantList {
		t.Fatalf("refused commands changed the rights: %q", got)
	}

	// --revoke and empty rights remove an entry.
	e.ok("", "share", "ann@example.org", "Archive", "bob@example.org", "--revoke")
	e.ok("", "share", "ann@example.org", "Archive", "anyone", "")
	if got := e.ok("", "share", "list", "ann@example.org"); got != "Sent\tdee@example.net\tlrs\n" {
		t.Fatalf("after the revocations: %q", got)
	}
	if got := e.ok("", "share", "visible", "bob@example.org"); got != "" {
		t.Fatalf("bob still sees %q", got)
	}
	if got := e.ok("", "share", "--help"); !strings.Contains(got, "share  list ADDRESS") || !strings.Contains(got, "--revoke") {
		t.Fatalf("share --help = %q", got)
	}
}
