package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// imapOnly is a [listen] table with IMAP on addr and everything else off.
func imapOnly(addr string) string {
	return fmt.Sprintf("[listen]\nhttp = []\nsmtp = []\nsubmission = []\nsubmissions = []\nimap = [%q]\nimaps = []\n"+
		"pop3 = []\npop3s = []\nlmtp = []\n[tls]\nallow_insecure_auth = true\n", addr)
}

// populateForCopy gives the store of e mail in several mailboxes, with
// flags, keywords and an expunge, a queued message, an alias, a DKIM key
// and bob's mailboxes shared with carol (created after a deleted account,
// so that her ID differs in a copy) and with anyone, and returns the
// number of messages.
func populateForCopy(t *testing.T, e *env) int {
	t.Helper()
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	e.ok("pw\n", "user", "add", "gone@example.org", "--password-stdin")
	e.ok("", "user", "del", "gone@example.org")
	e.ok("pw\n", "user", "add", "carol@example.org", "--password-stdin")
	e.ok("", "alias", "add", "team@example.org", "bob@example.org")
	e.ok("", "dkim", "generate", "example.org")
	e.ok("", "share", "bob@example.org", "Archive", "carol@example.org", "lrs")
	e.ok("", "share", "bob@example.org", "INBOX", "anyone", "lr")
	st := e.openStore()
	ctx := context.Background()
	bob, err := st.LookupAddress(ctx, "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateMailbox(ctx, bob, "Projects/2026", store.UseNone); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range 30 {
		box := []string{"INBOX", "Archive", "Projects/2026"}[i%3]
		body := fmt.Sprintf("From: a@example.net\r\nTo: bob@example.org\r\nSubject: m%d\r\nMessage-ID: <m%d@example.net>\r\n\r\nbody %d\r\n", i, i, i)
		res, err := st.Deliver(ctx, store.NewMessage{Body: strings.NewReader(body)}, []store.Target{{Account: bob, MailboxName: box,
			Flags: store.Flags(i % 5), Keywords: []string{"$Label" + fmt.Sprint(i%2)}}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("Deliver: %v %+v", err, res)
		}
		n++
	}
	inbox, err := st.Mailbox(ctx, bob, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StoreFlags(ctx, inbox.ID, []store.UID{2}, store.FlagChange{Op: store.FlagsAdd, Keywords: []string{"Later"}}); err != nil {
		t.Fatal(err)
	}
	gone, err := st.Expunge(ctx, inbox.ID, []store.UID{3})
	if err != nil || len(gone) != 1 {
		t.Fatalf("Expunge: %v %v", gone, err)
	}
	// A null sender: the servers started below fail it without a bounce
	// into the mailboxes compared.
	_, err = st.Enqueue(ctx, store.NewQueued{ID: "copyq1", From: "", Arrived: time.Now(),
		Body: strings.NewReader("Subject: out\r\n\r\nhi\r\n"), Rcpts: []store.QueuedRcpt{{Addr: "x@remote.invalid", Domain: "remote.invalid"}}})
	if err != nil {
		t.Fatal(err)
	}
	return n - 1
}

// cancelOnLine cancels a context when a line matching re is written.
type cancelOnLine struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	re     *regexp.Regexp
	cancel context.CancelFunc
}

func (c *cancelOnLine) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.re.Match(c.buf.Bytes()) {
		c.cancel()
	}
	return len(p), nil
}

// TestStoreCopy: `petrel store copy` is refused while a server holds the
// source's data directory; interrupted after its first mailbox and run
// again, it resumes; a third run copies nothing; then IMAP on the copy
// shows the same mailboxes, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, UIDs,
// MODSEQs, flags and dates as IMAP on the source, and the queue, the
// alias and the DKIM key came along.
func TestStoreCopy(t *testing.T) {
	srcIMAP, dstIMAP := testkit.FreeAddr(t), testkit.FreeAddr(t)
	src, dst := newEnv(t, imapOnly(srcIMAP)), newEnv(t, imapOnly(dstIMAP))
	total := populateForCopy(t, src)

	release, err := lockDataDir(src.dataDir) // what a running serve holds
	if err != nil {
		t.Fatal(err)
	}
	r := src.run("", "store", "copy", "--to-config", dst.config)
	release()
	if r.code != exitFail || !strings.Contains(r.stderr, "petrel serve is running on the source data directory") {
		t.Fatalf("copy beside a server: exit %d, stderr %q", r.code, r.stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	out := &cancelOnLine{re: regexp.MustCompile(`(?m)^bob@example.org \S+: [1-9]\d* messages, `), cancel: cancel}
	var errb bytes.Buffer
	code := run(ctx, []string{"store", "copy", "--to-config", dst.config, "--config", src.config}, strings.NewReader(""), out, &errb)
	if code != exitFail || !strings.Contains(errb.String(), "run the command again") {
		t.Fatalf("interrupted copy: exit %d, stderr %q, stdout:\n%s", code, errb.String(), out.buf.String())
	}
	second := src.ok("", "store", "copy", "--to-config", dst.config)
	m := regexp.MustCompile(`copied (\d+) messages \((\d+) were there already\)`).FindStringSubmatch(second)
	if m == nil || m[1] == "0" || m[2] == "0" || fmt.Sprint(total) != fmt.Sprint(atoi(m[1])+atoi(m[2])) ||
		!strings.Contains(second, "every mailbox verified the same") {
		t.Fatalf("resumed copy of %d messages printed:\n%s", total, second)
	}
	third := src.ok("", "store", "copy", "--to-config", dst.config)
	if !strings.Contains(third, fmt.Sprintf("copied 0 messages (%d were there already)", total)) {
		t.Fatalf("third copy printed:\n%s", third)
	}
	if !regexp.MustCompile(`verified bob@example.org INBOX: UIDVALIDITY \d+, 9/9 messages, sha256 ([0-9a-f]{16})/([0-9a-f]{16}): same`).MatchString(third) {
		t.Fatalf("no verification line for INBOX:\n%s", third)
	}

	sel := regexp.MustCompile(`(\S+)\._domainkey`).FindStringSubmatch(src.ok("", "dns", "example.org"))
	if sel == nil {
		t.Fatal("no DKIM selector in petrel dns")
	}
	for _, what := range [][]string{{"queue", "list"}, {"alias", "list"}, {"dkim", "export", "example.org", sel[1]},
		{"share", "list", "bob@example.org"}, {"share", "visible", "carol@example.org"}} {
		if a, b := withoutAge(src.ok("", what...)), withoutAge(dst.ok("", what...)); a != b || a == "" {
			t.Errorf("%v differs:\nsource %s\ncopy   %s", what, a, b)
		}
	}
	serveInBackground(t, src)
	serveInBackground(t, dst)
	want, got := imapView(t, srcIMAP), imapView(t, dstIMAP)
	if want != got {
		t.Fatalf("IMAP on the copy differs:\nsource:\n%s\ncopy:\n%s", want, got)
	}
	if !strings.Contains(want, "Projects/2026 ") || !strings.Contains(want, "Later") {
		t.Fatalf("IMAP view lacks the populated mail:\n%s", want)
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// imapView describes what an IMAP client sees of bob's mailboxes: for each
// its UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, and each message's UID,
// MODSEQ, flags, internal date and size.
func imapView(t *testing.T, addr string) string {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob@example.org", "secret-pw").Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		sel, err := c.Select(name, &imap.SelectOptions{CondStore: true}).Wait()
		if err != nil {
			t.Fatalf("SELECT %s: %v", name, err)
		}
		fmt.Fprintf(&b, "%s %d %d %d %d\n", name, sel.UIDValidity, sel.UIDNext, sel.HighestModSeq, sel.NumMessages)
		if sel.NumMessages == 0 {
			continue
		}
		msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true,
			ModSeq: true, InternalDate: true, RFC822Size: true}).Collect()
		if err != nil {
			t.Fatalf("FETCH in %s: %v", name, err)
		}
		for _, m := range msgs {
			var flags []string
			for _, f := range m.Flags {
				if f != `\Recent` {
					flags = append(flags, string(f))
				}
			}
			slices.Sort(flags)
			fmt.Fprintf(&b, "  %d %d %v %s %d\n", m.UID, m.ModSeq, flags, m.InternalDate.Format(time.RFC3339), m.RFC822Size)
		}
	}
	return b.String()
}

// The usage names store copy and --to-config; store --help prints it, and
// a copy without --to-config, or into the store it reads, is a usage
// error.
func TestStoreCopyUsage(t *testing.T) {
	e := newEnv(t, "")
	if r := e.run("", "--help"); !strings.Contains(r.stdout, "\n  store  copy --to-config") || !strings.Contains(r.stdout, "--to-config FILE") {
		t.Errorf("global usage lacks store copy:\n%s", r.stdout)
	}
	if r := e.run("", "store", "--help"); r.code != exitOK || !strings.Contains(r.stdout, "\n  store ") || strings.Contains(r.stdout, "  domain ") {
		t.Errorf("petrel store --help: exit %d, stdout %q", r.code, r.stdout)
	}
	for _, args := range [][]string{{"store", "copy"}, {"store"}, {"store", "move", "--to-config", e.config},
		{"store", "copy", "--to-config", e.config}} {
		if r := e.run("", args...); r.code != exitUsage {
			t.Errorf("petrel %v: exit %d, want %d (stderr %q)", args, r.code, exitUsage, r.stderr)
		}
	}
	if r := e.run("", "store", "copy", "--to-config", e.config); !strings.Contains(r.stderr, "names the same store") {
		t.Errorf("copy into itself: %q", r.stderr)
	}
	// A source data directory without a store is refused, and left
	// without one.
	other := newEnv(t, "")
	if r := e.run("", "store", "copy", "--to-config", other.config); r.code != exitFail || !strings.Contains(r.stderr, "no store to copy") {
		t.Errorf("copy of a missing store: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(e.dataDir); !os.IsNotExist(err) {
		t.Errorf("the refused copy created the source data directory: %v", err)
	}
}

// queueAge is the AGE column of petrel queue list: the time since the
// message arrived, which moves while two listings are made.
var queueAge = regexp.MustCompile(`(?m)^(\S+ +\S+ +)\S+`)

// withoutAge is a listing with queue list's AGE column blanked: a copy
// must list the same queue, not at the same second.
func withoutAge(list string) string {
	if !strings.HasPrefix(list, "QUEUE ID") {
		return list
	}
	head, rest, _ := strings.Cut(list, "\n")
	return head + "\n" + queueAge.ReplaceAllString(rest, "${1}-")
}
