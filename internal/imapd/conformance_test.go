package imapd

import (
	"testing"
)

// Issue 13's IMAP conformance points, each on a real server.

// TestListPatternAnyAtomChars: a LIST pattern may be made of any atom
// characters, including an "&" that starts no valid modified UTF-7
// sequence; the answer is OK with whatever matches (RFC 9051 §6.3.9).
func TestListPatternAnyAtomChars(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	r.OK("c CREATE foo")
	for _, pat := range []string{
		"!#$&'+,-.0123456789:;<=>?@^_`|}%*",
		`"!#$&'+,-.0123456789:;<=>?@^_` + "`" + `|}%*"`,
		"&x%",
	} {
		if u := r.status("l LIST \"\" "+pat, "OK"); len(u) != 0 {
			t.Errorf("LIST %s: %q, want nothing", pat, u)
		}
		r.status("l LSUB \"\" "+pat, "OK")
		r.status("l LIST \"&x\" "+pat, "OK")
	}
	// A valid pattern still matches as before.
	if u := r.status(`l LIST "" f%`, "OK"); !has(u, `"/" foo`) {
		t.Errorf("LIST f%%: %q", u)
	}
}
