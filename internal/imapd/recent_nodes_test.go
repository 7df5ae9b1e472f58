package imapd

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// secondNode starts another server on its own store instance over the
// same database (another node) and returns its store and a login
// function.
func (e *env) secondNode() (*sqlite.Store, func() *raw) {
	t := e.t
	st2, err := sqlite.Open(context.Background(), sqlite.Options{Dir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	d2 := e.deps
	d2.Store = st2
	srv2 := New(e.cfg, d2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv2.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv2.Shutdown(ctx)
		st2.Close()
	})
	return st2, func() *raw {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r := rawOn(testkit.Wrap(t, c))
		r.Line()
		r.OK("a LOGIN " + testUser + ` "` + testPass + `"`)
		return r
	}
}

// TestIdleAcrossNodes: a session in IDLE hears of mail delivered through
// another node, and of flag changes made there (the store's change feed
// carries other processes' commits: docs/architecture.md §Shared state).
func TestIdleAcrossNodes(t *testing.T) {
	e := newEnv(t, nil)
	_, onNode2 := e.secondNode()
	e.deliver("", testMessage("m1", "one"), 0)
	r := onNode2()
	r.OK("s SELECT INBOX")
	r.Send("i IDLE\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	uid := e.deliver("", testMessage("m2", "two"), 0)
	r.C.SetDeadline(time.Now().Add(15 * time.Second))
	if l := r.Line(); l != "* 2 EXISTS" {
		t.Fatalf("in IDLE on node 2 after a delivery on node 1: %q, want * 2 EXISTS", l)
	}
	if l := r.Line(); l != "* 2 RECENT" {
		t.Fatalf("after EXISTS: %q, want * 2 RECENT", l)
	}
	inbox, err := e.st.Mailbox(context.Background(), e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.StoreFlags(context.Background(), inbox.ID, []store.UID{uid}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if l := r.Line(); !strings.HasPrefix(l, "* 2 FETCH (") || !strings.Contains(l, `\Flagged`) {
		t.Fatalf("in IDLE on node 2 after a flag change on node 1: %q", l)
	}
	r.Send("DONE\r\n")
	r.Until("i")
}

// TestRecentAcrossNodes: two servers, each with its own store instance
// over one database, give each message's \Recent (RFC 3501 §2.3.2) to one
// session only, whichever node it is on; a re-SELECT on the first node
// does not see the messages the other node's session was told about.
func TestRecentAcrossNodes(t *testing.T) {
	e := newEnv(t, nil)
	st2, onNode2 := e.secondNode()
	wantRecent := func(who string, u []string, n string) {
		t.Helper()
		if !slices.Contains(u, "* "+n+" RECENT") {
			t.Errorf("%s: want * %s RECENT in %q", who, n, u)
		}
	}

	e.deliver("", testMessage("m1", "one"), 0)
	e.deliver("", testMessage("m2", "two"), 0)
	a := e.login()
	wantRecent("SELECT on node 1", a.OK("s SELECT INBOX"), "2")
	b := onNode2()
	wantRecent("SELECT on node 2 after node 1", b.OK("s SELECT INBOX"), "0")

	// New mail delivered through node 2 goes to node 2's session.
	res, err := st2.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(testMessage("m3", "three"))},
		[]store.Target{{Account: e.acct.ID}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("deliver on node 2: %v %v", err, res)
	}
	u := b.OK("n NOOP")
	if !slices.Contains(u, "* 3 EXISTS") {
		t.Fatalf("NOOP on node 2 after a delivery: %q", u)
	}
	wantRecent("NOOP on node 2", u, "1")
	wantRecent("re-SELECT on node 1", a.OK("s2 SELECT INBOX"), "0")
	if u := a.OK("st STATUS INBOX (RECENT)"); !slices.Contains(u, "* STATUS INBOX (RECENT 0)") {
		t.Errorf("STATUS on node 1: %q", u)
	}
	// EXAMINE claims nothing: a later SELECT still gets what is new.
	e.deliver("", testMessage("m4", "four"), 0)
	c := onNode2()
	wantRecent("EXAMINE on node 2", c.OK("x EXAMINE INBOX"), "1")
	wantRecent("SELECT on node 2 after an EXAMINE", c.OK("y SELECT INBOX"), "1")
	wantRecent("SELECT on node 1 after that", e.login().OK("z SELECT INBOX"), "0")
}
