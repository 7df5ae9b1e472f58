package imapd

import (
	"strings"
	"testing"
)

func TestRawBasics(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("one", "hello"), 0)
	r := e.dial()
	u := r.ok("a1 CAPABILITY")
	if !has(u, "AUTH=PLAIN") || !has(u, "STARTTLS") || !has(u, "IDLE") {
		t.Fatalf("capability %q", u)
	}
	r.ok("a2 LOGIN " + testUser + ` "` + testPass + `"`)
	u = r.ok("a3 SELECT inbox")
	for _, want := range []string{"* 1 EXISTS", "* 1 RECENT", "[UIDVALIDITY ", "[UIDNEXT 2]", "PERMANENTFLAGS"} {
		if !has(u, want) {
			t.Errorf("SELECT: missing %q in %q", want, u)
		}
	}
	u = r.ok("a4 LIST \"\" *")
	if !has(u, `* LIST (\HasNoChildren \Sent) "/" Sent`) || !has(u, `"/" INBOX`) {
		t.Errorf("LIST %q", u)
	}
	u = r.ok("a5 UID SEARCH ALL")
	t.Logf("search %q", u)
	u = r.ok("a6 APPEND INBOX (\\Seen) {5+}\r\nhello")
	if !has(u, "* 2 EXISTS") {
		t.Errorf("APPEND to the selected mailbox: %q", u)
	}
	_, tagged := r.cmd("a8 FOO")
	if !strings.HasPrefix(tagged, "a8 BAD") {
		t.Errorf("unknown command: %q", tagged)
	}
	u = r.ok("a9 LOGOUT")
	if !has(u, "* BYE") {
		t.Errorf("LOGOUT %q", u)
	}
}
