package imapd

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSaveDate: FETCH SAVEDATE is when the message entered the mailbox
// (delivery, APPEND, COPY, MOVE), not its internal date; SAVEDBEFORE,
// SAVEDON and SAVEDSINCE compare it; SAVEDATESUPPORTED matches every
// message; a message stored before the store kept save dates has its
// internal date (RFC 8514 §3, §4; savedate.go).
func TestSaveDate(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverAt(testMessage("old", "x"), time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC), 0)
	e.deliverAt(testMessage("new", "y"), time.Date(2024, 6, 2, 12, 0, 0, 0, time.UTC), 0)
	r := e.login()
	if !has(r.OK("c CAPABILITY"), " SAVEDATE") {
		t.Fatal("CAPABILITY lacks SAVEDATE")
	}
	r.OK("c CREATE Other")
	r.OK("s SELECT INBOX")
	today := time.Now().UTC().Format("2-Jan-2006")
	u := r.OK("f FETCH 1:2 (UID SAVEDATE)")
	for i, l := range u {
		d := saveDateOf(t, l)
		if time.Since(d) > time.Minute || time.Until(d) > time.Second {
			t.Fatalf("message %d: save date %v, want now", i+1, d)
		}
	}
	r.exact("s1 SEARCH SAVEDATESUPPORTED", "OK", "* SEARCH 1 2")
	r.exact("s2 SEARCH NOT SAVEDATESUPPORTED", "OK", "* SEARCH")
	r.exact("s3 SEARCH SAVEDBEFORE 1-Jan-2021", "OK", "* SEARCH")
	r.exact("s3 SEARCH BEFORE 1-Jan-2021", "OK", "* SEARCH 1")
	r.exact("s4 SEARCH SAVEDSINCE 1-Jan-2021", "OK", "* SEARCH 1 2")
	r.exact(`s5 SEARCH SAVEDON "`+today+`"`, "OK", "* SEARCH 1 2")
	r.status("s6 SEARCH SAVEDON 31-Foo-2024", "BAD")
	r.status("s7 SEARCH SAVEDBEFORE", "BAD")

	// A message stored before the store kept save dates (the migration
	// left 0): its internal date. A COPY of it is saved now.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "petrel.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE messages SET saved = 0 WHERE uid = 1`); err != nil {
		t.Fatal(err)
	}
	r.exact("f FETCH 1 (SAVEDATE)", "OK", `* 1 FETCH (SAVEDATE " 1-Mar-2020 12:00:00 +0000")`)
	r.exact("s8 SEARCH SAVEDON 1-Mar-2020", "OK", "* SEARCH 1")
	r.exact("s9 SEARCH SAVEDATESUPPORTED", "OK", "* SEARCH 1 2")
	r.OK("c COPY 1 Other")
	r.OK("a APPEND Other (\\Seen) \"01-Jan-2001 00:00:00 +0000\" {5+}\r\nhi\r\n\r")
	r.OK("s SELECT Other")
	for i, l := range r.OK("f FETCH 1:2 (SAVEDATE INTERNALDATE)") {
		if d := saveDateOf(t, l); time.Since(d) > time.Minute {
			t.Fatalf("copy/append %d: save date %v, want now (%q)", i+1, d, l)
		}
	}
	r.exact("s SEARCH SAVEDBEFORE 1-Jan-2021", "OK", "* SEARCH")
	r.exact("s SEARCH BEFORE 1-Jan-2021", "OK", "* SEARCH 1 2") // the copy keeps its internal date
}

// saveDateOf reads the SAVEDATE of a FETCH response.
func saveDateOf(t *testing.T, l string) time.Time {
	t.Helper()
	_, rest, ok := strings.Cut(l, `SAVEDATE "`)
	date, _, ok2 := strings.Cut(rest, `"`)
	d, err := time.Parse("_2-Jan-2006 15:04:05 -0700", date)
	if !ok || !ok2 || err != nil {
		t.Fatalf("no SAVEDATE in %q: %v", l, err)
	}
	return d
}
