package main

import (
	"context"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// TestIndexRebuild: messages stored without the full-text index (as
// before the migration) are listed unindexed until `petrel index
// rebuild` indexes them, for one account or all; bad usage and an
// unknown account fail without indexing anything.
func TestIndexRebuild(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "a@example.org", "--password-stdin")
	e.ok("pw\n", "user", "add", "b@example.org", "--password-stdin")
	ctx := context.Background()
	plain, err := sqlite.Open(ctx, sqlite.Options{Dir: e.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	var ids []store.AccountID
	for _, addr := range []string{"a@example.org", "b@example.org"} {
		id, err := plain.LookupAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		for range 2 {
			if _, err := plain.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: old\r\n\r\nan old giraffe\r\n")},
				[]store.Target{{Account: id}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	plain.Close()
	for _, bad := range [][]string{{"index"}, {"index", "rebuild", "extra"}, {"index", "rebuild", "--account"}} {
		if r := e.run("", bad...); r.code != exitUsage {
			t.Errorf("petrel %v: exit %d, want %d", bad, r.code, exitUsage)
		}
	}
	if r := e.run("", "index", "rebuild", "--account", "nobody@example.org"); r.code != exitFail || !strings.Contains(r.stderr, "nobody@example.org") {
		t.Errorf("unknown account: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := e.ok("", "index", "rebuild", "--account", "A@example.org"); got != "indexed 2 messages\n" {
		t.Errorf("rebuild of a: %q", got)
	}
	if got := e.ok("", "index", "rebuild"); got != "indexed 2 messages\n" {
		t.Errorf("rebuild of the rest: %q", got)
	}
	if got := e.ok("", "index", "rebuild"); got != "indexed 0 messages\n" {
		t.Errorf("rebuild with nothing left: %q", got)
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: e.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range ids {
		mb, err := st.Mailbox(ctx, id, store.InboxName)
		if err != nil {
			t.Fatal(err)
		}
		h, err := st.SearchText(ctx, mb.ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody}, Needle: "giraffe"})
		if err != nil || len(h.Sure) != 2 || len(h.Maybe) != 0 {
			t.Errorf("account %d after the rebuild: %+v, %v", id, h, err)
		}
	}
}
