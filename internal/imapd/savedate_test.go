package imapd

import (
	"testing"
	"time"
)

// TestSaveDate: FETCH SAVEDATE is NIL, SAVEDATESUPPORTED matches nothing
// and the SAVED* keys compare the internal date (RFC 8514 §4; savedate.go
// says why).
func TestSaveDate(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverAt(testMessage("old", "x"), time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC), 0)
	e.deliverAt(testMessage("new", "y"), time.Date(2024, 6, 2, 12, 0, 0, 0, time.UTC), 0)
	r := e.login()
	if !has(r.OK("c CAPABILITY"), " SAVEDATE") {
		t.Fatal("CAPABILITY lacks SAVEDATE")
	}
	r.OK("s SELECT INBOX")
	r.exact("f FETCH 1:2 (UID SAVEDATE)", "OK",
		"* 1 FETCH (UID 1 SAVEDATE NIL)", "* 2 FETCH (UID 2 SAVEDATE NIL)")
	r.exact("s1 SEARCH SAVEDATESUPPORTED", "OK", "* SEARCH")
	r.exact("s2 SEARCH NOT SAVEDATESUPPORTED", "OK", "* SEARCH 1 2")
	r.exact("s3 SEARCH SAVEDBEFORE 1-Jan-2021", "OK", "* SEARCH 1")
	r.exact("s4 SEARCH SAVEDSINCE 1-Jan-2021", "OK", "* SEARCH 2")
	r.exact(`s5 SEARCH SAVEDON "2-Jun-2024"`, "OK", "* SEARCH 2")
	r.status("s6 SEARCH SAVEDON 31-Foo-2024", "BAD")
	r.status("s7 SEARCH SAVEDBEFORE", "BAD")
}
