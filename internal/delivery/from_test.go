package delivery

import (
	"testing"

	"github.com/petrelmail/petrel/internal/header/headertest"
)

// Submission reads From by the rule of package header: on the tricky
// cases every reader of that rule is tested on, a From the rule cannot
// read is refused with 554 5.6.0, as is a header with a line that is no
// field, a readable one goes on to the check of
// every author (553 5.7.1 here: none is alice's).
func TestSubmissionFromAgrees(t *testing.T) {
	f := newFixture(t)
	for _, c := range headertest.FromCases(t) {
		rs := f.submit(submitted(t, "bob@example.org"), c.Header+"Subject: x\r\n\r\nbody\r\n")
		want := "5.7.1"
		if !c.Readable || c.Malformed {
			want = "5.6.0"
		}
		if got := code(rs[0]); got != want {
			t.Errorf("%s: %v, want %s", c.Name, rs[0], want)
		}
	}
}
