package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestStoreCopyToPostgres: a populated SQLite store (README "Moving to
// PostgreSQL") copied with `petrel store copy --to-config` into a fresh
// PostgreSQL database, verified; a second run copies nothing; the
// queue, the alias and the DKIM key came along; then `petrel serve` on
// PostgreSQL shows an IMAP client the same mailboxes, UIDVALIDITY,
// UIDNEXT, HIGHESTMODSEQ, UIDs, MODSEQs, flags and dates as on SQLite.
// The way back, PostgreSQL to a new SQLite store, keeps them too.
func TestStoreCopyToPostgres(t *testing.T) {
	srcIMAP, pgIMAP, backIMAP := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	src := newEnv(t, imapOnly(srcIMAP))
	pg := newEnv(t, imapOnly(pgIMAP)+fmt.Sprintf("[storage]\ndriver = \"postgres\"\ndsn = %q\n", postgresDatabase(t)))
	back := newEnv(t, imapOnly(backIMAP))
	total := populateForCopy(t, src)

	copied := regexp.MustCompile(`copied (\d+) messages \((\d+) were there already\)`)
	for i, want := range [][2]int{{total, 0}, {0, total}} {
		out := src.ok("", "store", "copy", "--to-config", pg.config)
		m := copied.FindStringSubmatch(out)
		if m == nil || atoi(m[1]) != want[0] || atoi(m[2]) != want[1] || !strings.Contains(out, "every mailbox verified the same") {
			t.Fatalf("copy %d into PostgreSQL of %d messages printed:\n%s", i+1, total, out)
		}
	}
	if !regexp.MustCompile(`verified bob@example.org INBOX: UIDVALIDITY \d+, 9/9 messages, sha256 ([0-9a-f]{16})/([0-9a-f]{16}): same`).
		MatchString(src.ok("", "store", "copy", "--to-config", pg.config)) {
		t.Fatal("no verification line for INBOX")
	}
	sel := regexp.MustCompile(`(\S+)\._domainkey`).FindStringSubmatch(src.ok("", "dns", "example.org"))
	if sel == nil {
		t.Fatal("no DKIM selector in petrel dns")
	}
	for _, what := range [][]string{{"queue", "list"}, {"alias", "list"}, {"user", "list"}, {"dkim", "export", "example.org", sel[1]},
		{"share", "list", "bob@example.org"}, {"share", "visible", "carol@example.org"}} {
		if a, b := withoutAge(src.ok("", what...)), withoutAge(pg.ok("", what...)); a != b || a == "" {
			t.Errorf("%v differs:\nSQLite     %s\nPostgreSQL %s", what, a, b)
		}
	}
	// The way back, before a server changes the PostgreSQL store.
	out := pg.ok("", "store", "copy", "--to-config", back.config)
	if m := copied.FindStringSubmatch(out); m == nil || atoi(m[1]) != total || !strings.Contains(out, "every mailbox verified the same") ||
		!strings.Contains(out, "2 access rights entries") {
		t.Fatalf("copy of PostgreSQL into SQLite printed:\n%s", out)
	}
	if a, b := src.ok("", "share", "visible", "carol@example.org"), back.ok("", "share", "visible", "carol@example.org"); a != b ||
		a != "bob@example.org\tArchive\tlrs\nbob@example.org\tINBOX\tlr\n" {
		t.Errorf("shares seen by carol: SQLite %q, back from PostgreSQL %q", a, b)
	}

	serveInBackground(t, src)
	serveInBackground(t, pg)
	serveInBackground(t, back)
	want := imapView(t, srcIMAP)
	if !strings.Contains(want, "Projects/2026 ") || !strings.Contains(want, "Later") {
		t.Fatalf("IMAP view lacks the populated mail:\n%s", want)
	}
	if got := imapView(t, pgIMAP); got != want {
		t.Fatalf("IMAP on PostgreSQL differs:\nSQLite:\n%s\nPostgreSQL:\n%s", want, got)
	}
	if got := imapView(t, backIMAP); got != want {
		t.Fatalf("IMAP on the SQLite copy of the PostgreSQL store differs:\nfirst:\n%s\nback:\n%s", want, got)
	}
	// A QRESYNC client that saw the mailbox before the expunge learns of
	// it after the move (RFC 7162 §3.2.5.1).
	for _, addr := range []string{srcIMAP, pgIMAP, backIMAP} {
		if v := vanishedSince(t, addr, 1); v != "* VANISHED (EARLIER) 3" {
			t.Errorf("EXAMINE INBOX (QRESYNC (UIDVALIDITY, MODSEQ 1)) on %s: %q, want UID 3 vanished", addr, v)
		}
	}
}

// vanishedSince selects bob's INBOX with QRESYNC from modseq and returns
// the VANISHED response ("" if none).
func vanishedSince(t *testing.T, addr string, modseq int) string {
	t.Helper()
	c := &testkit.IMAP{Conn: testkit.Dial(t, addr)}
	c.Line() // greeting
	c.OK("a LOGIN bob@example.org secret-pw")
	var uv string
	for _, l := range c.OK("b EXAMINE INBOX") {
		if m := regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`).FindStringSubmatch(l); m != nil {
			uv = m[1]
		}
	}
	c.OK("c ENABLE QRESYNC")
	c.OK("d UNSELECT")
	for _, l := range c.OK(fmt.Sprintf("e EXAMINE INBOX (QRESYNC (%s %d))", uv, modseq)) {
		if strings.HasPrefix(l, "* VANISHED") {
			return l
		}
	}
	return ""
}
