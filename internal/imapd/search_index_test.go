package imapd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// scanOnly hides the store's full-text index: its sessions read every
// message, as SEARCH did before the index.
type scanOnly struct{ Store }

// countingIndex counts the questions to the full-text index.
type countingIndex struct {
	Store
	n int
}

func (c *countingIndex) SearchText(ctx context.Context, mb store.MailboxID, q store.TextQuery) (store.TextHits, error) {
	c.n++
	return c.Store.(textSearcher).SearchText(ctx, mb, q)
}

// scanServer serves e's store without its index on another listener.
func (e *env) scanServer() *raw {
	deps := e.deps
	deps.Store = scanOnly{e.st}
	srv := New(e.cfg, deps)
	ln := testkit.Listen(e.t)
	go srv.Serve(ln)
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	r := rawOn(testkit.Dial(e.t, ln.Addr().String()))
	r.Expect("* OK")
	r.OK("a LOGIN " + testUser + ` "` + testPass + `"`)
	return r
}

// corpusMessages are the messages of msgmeta's and imapmsg's corpora.
func corpusMessages(t *testing.T) [][]byte {
	var out [][]byte
	for _, pat := range []string{"../msgmeta/testdata/*.eml", "../imapmsg/testdata/corpus/*.eml"} {
		names, _ := filepath.Glob(pat)
		for _, n := range names {
			raw, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, raw)
		}
	}
	if len(out) < 20 {
		t.Fatalf("corpora: %d messages", len(out))
	}
	return out
}

// corpusNeedles are words and pieces of the corpus messages, some with
// a colon or a space, upper-cased and not.
func corpusNeedles(msgs [][]byte, every int) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] && utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\"\\") {
			seen[s] = true
			out = append(out, s)
		}
	}
	i := 0
	for _, m := range msgs {
		for _, w := range strings.Fields(string(m)) {
			if i++; i%every == 0 && len(w) >= 3 && len(w) <= 20 {
				add(w)
				add(strings.ToUpper(w[:len(w)/2+1]))
			}
		}
	}
	for _, s := range []string{"content-type: text", "subject: re", "to: ", "@example.com", "grüße", "STRASSE",
		"charset=utf-8", ".pdf", "name=", "de", "=?utf-8?", "html>", "<p>"} {
		add(s)
	}
	return out
}

// searchLine is a UID SEARCH of key with the needle as a literal.
func searchLine(key, needle string) string {
	return fmt.Sprintf("s UID SEARCH CHARSET UTF-8 %s {%d+}\r\n%s", key, len(needle), needle)
}

// compareSearches runs each text key of each needle (and a few
// combinations) on both servers and requires the same answer.
func compareSearches(t *testing.T, idx, scan *raw, needles []string) {
	t.Helper()
	n := 0
	for _, needle := range needles {
		for _, key := range []string{"TEXT", "BODY", "SUBJECT", "FROM", "TO", "CC", "BCC", "NOT TEXT", "OR BODY x TEXT", "UNSEEN TEXT"} {
			line := searchLine(key, needle)
			want, wantTag := scan.Cmd(line)
			got, gotTag := idx.Cmd(line)
			if strings.Join(got, "\n") != strings.Join(want, "\n") || !strings.HasPrefix(gotTag, "s OK") || !strings.HasPrefix(wantTag, "s OK") {
				t.Errorf("%s %q: index %q %q, scan %q %q", key, needle, got, gotTag, want, wantTag)
			}
			if len(want) > 0 && want[0] != "* SEARCH" {
				n++
			}
		}
	}
	if n < len(needles) {
		t.Errorf("only %d searches of %d needles found anything: the comparison proves little", n, len(needles))
	}
}

// TestSearchIndexEqualsScan: SEARCH with the full-text index answers as
// the scan of every message does, on the corpora, for messages in the
// index and messages stored without it (read by the search), and after
// `index rebuild` put these in the index.
func TestSearchIndexEqualsScan(t *testing.T) {
	needImapmsg(t)
	var counter *countingIndex
	e := newEnv(t, func(_ *Config, d *Deps) {
		counter = &countingIndex{Store: d.Store}
		d.Store = counter
	})
	msgs := corpusMessages(t)
	for i, m := range msgs {
		if i%2 == 0 {
			e.deliver("", string(m), store.Flags(i%3)&store.FlagSeen)
		}
	}
	// Delivered messages are listed unindexed; the background indexer's
	// step indexes them.
	if n, err := e.st.RebuildTextIndex(context.Background(), 0); err != nil || n != (len(msgs)+1)/2 {
		t.Fatalf("indexing the delivered messages: %d, %v; want %d", n, err, (len(msgs)+1)/2)
	}
	// The others through a store without an extractor: not indexed.
	plain, err := sqlite.Open(context.Background(), sqlite.Options{Dir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if i%2 == 1 {
			if _, err := plain.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(string(m))},
				[]store.Target{{Account: e.acct.ID}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	plain.Close()
	h, err := e.st.SearchText(context.Background(), mustInbox(t, e).ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody}, Needle: "the"})
	if err != nil || len(h.Maybe) != len(msgs)/2 || len(h.Sure) == 0 {
		t.Fatalf("before the rebuild: %d sure, %d maybe (%v), want %d maybe", len(h.Sure), len(h.Maybe), err, len(msgs)/2)
	}
	idx, scan := e.login(), e.scanServer()
	// Hundreds of searches, the scan's over every message: more than
	// rawOn's 20 s for the whole connection under the race detector.
	for _, r := range []*raw{idx, scan} {
		r.Conn.C.SetDeadline(time.Now().Add(5 * time.Minute))
	}
	idx.OK("s SELECT INBOX")
	scan.OK("s SELECT INBOX")
	needles := corpusNeedles(msgs, 23)
	compareSearches(t, idx, scan, needles)
	if counter.n < len(needles) {
		t.Fatalf("the index answered %d questions for %d needles", counter.n, len(needles))
	}

	n, err := e.st.RebuildTextIndex(context.Background(), e.acct.ID)
	if err != nil || n != len(msgs)/2 {
		t.Fatalf("rebuild: %d, %v; want %d", n, err, len(msgs)/2)
	}
	h, _ = e.st.SearchText(context.Background(), mustInbox(t, e).ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody}, Needle: "the"})
	if len(h.Maybe) != 0 {
		t.Fatalf("after the rebuild: %d unindexed", len(h.Maybe))
	}
	compareSearches(t, idx, scan, needles)
}

func mustInbox(t *testing.T, e *env) store.Mailbox {
	mb, err := e.st.Mailbox(context.Background(), e.acct.ID, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	return mb
}
