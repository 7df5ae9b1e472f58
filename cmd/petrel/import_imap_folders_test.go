package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// importTarget is a Petrel data directory with the account a@example.org
// to import into.
func importTarget(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw-1234567890\n", "user", "add", "a@example.org", "--password-stdin")
	return e
}

// mailboxesOf lists the mailboxes of a@example.org with their message
// counts ("Name:N") and its subscriptions.
func mailboxesOf(t *testing.T, e *env) (mailboxes, subscribed []string) {
	t.Helper()
	ctx := context.Background()
	st := e.openStore()
	defer st.Close()
	acct, err := st.LookupAddress(ctx, "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	mbs, err := st.Mailboxes(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	for _, mb := range mbs {
		mailboxes = append(mailboxes, fmt.Sprintf("%s:%d", mb.Name, mb.Messages))
	}
	if subscribed, err = st.Subscriptions(ctx, acct); err != nil {
		t.Fatal(err)
	}
	return mailboxes, subscribed
}

// deliverLocal delivers body into mailbox of a@example.org in the
// target's store (the server stopped), as mail arriving on Petrel
// between two runs of an import.
func deliverLocal(t *testing.T, e *env, mailbox, body string) store.Delivered {
	t.Helper()
	st := e.openStore()
	defer st.Close()
	acct, err := st.LookupAddress(context.Background(), "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(body)},
		[]store.Target{{Account: acct, MailboxName: mailbox}})
	if err != nil || d[0].Err != nil {
		t.Fatalf("delivery: %v %+v", err, d)
	}
	return d[0]
}

// aliceSource serves over IMAP a store with the account
// alice@example.net (password source-pw), filled by fillSource with n
// messages in INBOX and n/2 in Archive/2024 when n > 0.
func aliceSource(t *testing.T, n int) imapServer {
	t.Helper()
	dir := t.TempDir()
	st := testkit.OpenStore(t, dir)
	alice := testkit.AddUser(t, testkit.Accounts(st, accounts.Options{HashConcurrency: 2}), "alice@example.net", "source-pw")
	if n > 0 {
		fillSource(t, st, alice.ID, n)
	}
	return serveIMAP(t, st, dir)
}

// TestImportIMAPFoldersGone: the subscriptions of the source's folders
// are copied; a folder deleted on the source is reported and its
// mailbox kept, and removed with --delete-folders only when it holds
// nothing but what the import brought.
func TestImportIMAPFoldersGone(t *testing.T) {
	srv := aliceSource(t, 0)
	sc := srv.login(t, "alice@example.net", "source-pw")
	for _, name := range []string{"Keep", "Gone", "Mixed", "Unsub"} {
		if err := sc.Create(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := sc.Unsubscribe(name).Wait(); err != nil {
			t.Fatal(err)
		}
		appendTo(t, sc, name, "Subject: in "+name+"\r\nMessage-ID: <"+name+"@x>\r\n\r\nbody\r\n")
	}
	appendTo(t, sc, "Gone", "Subject: two\r\nMessage-ID: <gone2@x>\r\n\r\nbody\r\n")
	for _, name := range []string{"Keep", "Gone"} {
		if err := sc.Subscribe(name).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	e := importTarget(t)
	url := "imaps://alice%40example.net@" + strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	run := func(extra ...string) string {
		return e.ok("source-pw\n", append([]string{"import", "a@example.org", url, "--ca-file", srv.certPath}, extra...)...)
	}
	out := run()
	if !strings.Contains(out, "imported 5 messages") || !strings.Contains(out, "0 deleted on the source") {
		t.Fatalf("first import printed %q", out)
	}
	_, subs := mailboxesOf(t, e)
	if !slices.Contains(subs, "Keep") || !slices.Contains(subs, "Gone") || slices.Contains(subs, "Unsub") || slices.Contains(subs, "Mixed") {
		t.Fatalf("subscriptions after the import: %v; want Keep and Gone, not Unsub or Mixed", subs)
	}

	// Mail delivered into Mixed on Petrel; Gone and Mixed deleted on
	// the source.
	deliverLocal(t, e, "Mixed", "Subject: local\r\n\r\nlocal\r\n")
	for _, name := range []string{"Gone", "Mixed"} {
		if err := sc.Delete(name).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	out = run()
	for _, want := range []string{
		`source folder "Gone" (mailbox "Gone") was deleted on the source: mailbox kept (--delete-folders`,
		`source folder "Mixed" (mailbox "Mixed") was deleted on the source: mailbox kept (--delete-folders`,
		"2 deleted on the source (0 mailboxes removed)",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("import after the deletions printed %q, want %q", out, want)
		}
	}
	if mbs, _ := mailboxesOf(t, e); !slices.Contains(mbs, "Gone:2") || !slices.Contains(mbs, "Mixed:2") {
		t.Fatalf("mailboxes removed without --delete-folders: %v", mbs)
	}
	out = run("--delete-folders")
	for _, want := range []string{
		`source folder "Gone" (mailbox "Gone") was deleted on the source: mailbox removed`,
		`source folder "Mixed" (mailbox "Mixed") was deleted on the source: mailbox kept, it holds 1 messages that did not come from the source`,
		"2 deleted on the source (1 mailboxes removed)",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("import with --delete-folders printed %q, want %q", out, want)
		}
	}
	if mbs, _ := mailboxesOf(t, e); slices.Contains(mbs, "Gone:2") || !slices.Contains(mbs, "Mixed:2") || !slices.Contains(mbs, "Keep:1") {
		t.Fatalf("mailboxes after --delete-folders: %v; want Gone removed, Mixed and Keep kept", mbs)
	}
	if out := run("--delete-folders"); !strings.Contains(out, "1 deleted on the source (0 mailboxes removed)") {
		t.Fatalf("import after the removal printed %q", out)
	}
}

var presentCounts = regexp.MustCompile(`imported (\d+) messages into (\d+) mailboxes \((\d+) were there already`)

// TestImportIMAPStateKeys: the import's state is keyed by the account's
// address and the source, so that an import run again after `petrel
// store copy` (where the account has another numeric ID) goes on where
// it stopped; a state an earlier version keyed by the numeric ID is
// moved to the new key.
func TestImportIMAPStateKeys(t *testing.T) {
	srv := aliceSource(t, 20)
	host := strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	url := "imaps://alice%40example.net@" + host

	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	// a@example.org gets ID 2 here, and 1 in the copy.
	e.ok("pw-1234567890\n", "user", "add", "x@example.org", "--password-stdin")
	e.ok("pw-1234567890\n", "user", "add", "a@example.org", "--password-stdin")
	e.ok("", "user", "del", "x@example.org")
	run := func(e *env) []string {
		out := e.ok("source-pw\n", "import", "a@example.org", url, "--ca-file", srv.certPath)
		m := presentCounts.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("import printed %q", out)
		}
		return m[1:]
	}
	if got := run(e); got[0] != "30" {
		t.Fatalf("first import: %v", got)
	}

	// A store copy gives a@example.org another ID; the import goes on.
	dst := newEnv(t, "")
	e.ok("", "store", "copy", "--to-config", dst.config)
	appendTo(t, srv.login(t, "alice@example.net", "source-pw"), "INBOX", "Subject: new\r\nMessage-ID: <new@x>\r\n\r\nnew\r\n")
	if got := run(dst); got[0] != "1" || got[2] != "0" {
		t.Fatalf("import into the copy: %v imported/mailboxes/present; want 1 imported, 0 present", got)
	}

	// Put the state where an earlier version kept it: below the
	// account's ID, the folder hashed with the server and user.
	ctx := context.Background()
	st := e.openStore()
	acct, err := st.LookupAddress(ctx, "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := st.KVList(ctx, "mailimport/imap-source/")
	if err != nil || len(keys) == 0 {
		t.Fatalf("no import state below mailimport/imap-source/: %v", err)
	}
	moved := map[string]bool{}
	for _, k := range keys {
		if strings.Contains(k.Key, "/map/") {
			continue
		}
		b, err := st.KVLoad(ctx, k.Key)
		if err != nil {
			t.Fatal(err)
		}
		var state map[string]any
		if err := json.Unmarshal(b, &state); err != nil {
			t.Fatal(err)
		}
		folder, _ := state["folder"].(string)
		delete(state, "folder")
		h := sha256.Sum256([]byte(host + "\x00alice@example.net\x00" + folder))
		b, _ = json.Marshal(state)
		if err := st.KVStore(ctx, fmt.Sprintf("mailimport/imap/%d/%s", acct, hex.EncodeToString(h[:16])), b); err != nil {
			t.Fatal(err)
		}
		if err := st.KVDelete(ctx, k.Key); err != nil {
			t.Fatal(err)
		}
		moved[folder] = true
	}
	if !moved["INBOX"] || !moved["Archive/2024"] {
		t.Fatalf("states moved to legacy keys: %v", moved)
	}
	st.Close()
	if got := run(e); got[0] != "1" || got[2] != "0" {
		t.Fatalf("import with the legacy state: %v imported/mailboxes/present; want 1 imported (the new one), 0 present", got)
	}
	st = e.openStore()
	legacy, err := st.KVList(ctx, fmt.Sprintf("mailimport/imap/%d/", acct))
	st.Close()
	if err != nil || len(legacy) != 0 {
		t.Fatalf("legacy state keys left after the migration: %v, %v", legacy, err)
	}

}

// TestImportIMAPRefusedFolder: a source folder whose name Petrel refuses
// as a mailbox name (a Go IMAP server that takes any name) is skipped
// with a warning and counted; the other folders are imported.
func TestImportIMAPRefusedFolder(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("alice", "source-pw")
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	ln := testkit.Listen(t)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	for _, name := range []string{"INBOX", "Lists*Old", "Work"} {
		if err := user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("alice", "source-pw").Wait(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"INBOX", "Lists*Old", "Work"} {
		appendTo(t, c, name, "Subject: in "+name+"\r\n\r\nbody\r\n")
	}
	e := importTarget(t)
	r := e.run("source-pw\n", "import", "a@example.org", "imap://alice@"+ln.Addr().String(), "--insecure")
	if r.code != 0 || !strings.Contains(r.stdout, "imported 2 messages into 2 mailboxes") ||
		!strings.Contains(r.stdout, `skipped source folder "Lists*Old": Petrel refuses the mailbox name "Lists*Old"`) ||
		!strings.Contains(r.stdout, "source folders: 1 skipped for their names") || !strings.Contains(r.stderr, "Lists*Old") {
		t.Fatalf("import: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if mbs, _ := mailboxesOf(t, e); !slices.Contains(mbs, "INBOX:1") || !slices.Contains(mbs, "Work:1") {
		t.Fatalf("mailboxes: %v", mbs)
	}
}
