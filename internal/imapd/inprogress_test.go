package imapd

import (
	"strings"
	"testing"
	"time"
)

// TestInProgress: a SEARCH or FETCH that runs past ProgressInterval sends
// OK [INPROGRESS ("tag" done total)] between its responses (RFC 9585);
// a short one sends none.
func TestInProgress(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.ProgressInterval = time.Nanosecond })
	e.deliverN(200)
	r := e.login()
	if !has(r.OK("c CAPABILITY"), " INPROGRESS") {
		t.Fatal("CAPABILITY lacks INPROGRESS")
	}
	r.OK("s SELECT INBOX")
	// Two characters: shorter than the full-text index's trigrams, so
	// the search reads every message (search_index.go).
	u := r.OK("q UID SEARCH BODY zq")
	want := []string{`* OK [INPROGRESS ("q" 64 200)] Still working`, `* OK [INPROGRESS ("q" 128 200)] Still working`,
		`* OK [INPROGRESS ("q" 192 200)] Still working`, `* SEARCH`}
	if strings.Join(u, "\n") != strings.Join(want, "\n") {
		t.Errorf("SEARCH: %q", u)
	}
	u = r.OK("f FETCH 1:* (FLAGS)")
	if len(u) != 203 || u[64] != `* OK [INPROGRESS ("f" 64 200)] Still working` || !strings.HasPrefix(u[65], "* 65 FETCH") {
		t.Errorf("FETCH: %d responses, %q %q", len(u), u[64], u[65])
	}
	// Fewer messages than one step: nothing.
	r.exact("g FETCH 1:10 (UID)", "OK", "* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "* 4 FETCH (UID 4)",
		"* 5 FETCH (UID 5)", "* 6 FETCH (UID 6)", "* 7 FETCH (UID 7)", "* 8 FETCH (UID 8)", "* 9 FETCH (UID 9)", "* 10 FETCH (UID 10)")
}

// TestInProgressDefault: with the default interval, a quick search over
// the same mailbox sends no progress.
func TestInProgressDefault(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(200)
	r := e.login()
	r.OK("s SELECT INBOX")
	if u := r.OK("q UID SEARCH BODY nothing-matches"); has(u, "INPROGRESS") {
		t.Errorf("SEARCH: %q", u)
	}
}
