package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/store"
)

// queueTwo queues two messages in e's store: a small one of transaction
// msgid00small for bob, deferred by an hour, and one of 3 MiB of
// transaction msgid0large0. It returns their queue IDs.
func queueTwo(t *testing.T, e *env) (small, large string) {
	t.Helper()
	e.ok("", "domain", "add", "example.org")
	st := e.openStore()
	qs := queue.New(queue.Config{}, queue.Deps{Store: st})
	ctx := context.Background()
	enqueue := func(msgID, body string, rcpt string) string {
		from, err := mailaddr.Parse("alice@example.org")
		must(t, err)
		to, err := mailaddr.Parse(rcpt)
		must(t, err)
		id, err := qs.Enqueue(ctx, &envelope.Envelope{ID: msgID, From: from,
			Received: time.Now().Add(-90 * time.Minute)},
			strings.NewReader(body), int64(len(body)), []envelope.Recipient{{Addr: to}})
		must(t, err)
		return id
	}
	small = enqueue("msgid00small", "Subject: hi\r\n\r\nhello\r\n", "bob@remote.example")
	large = enqueue("msgid0large0", "Subject: big\r\n\r\n"+strings.Repeat("x", 3<<20), "carol@remote.example")
	claimed, err := st.ClaimQueued(ctx, store.ClaimRequest{Owner: "test", Now: time.Now(), Lease: time.Minute, Limit: 10})
	must(t, err)
	for _, m := range claimed {
		ch := store.QueueChange{}
		if m.ID == small {
			r := m.Rcpts[0]
			r.State, r.Attempts, r.NextAttempt, r.LastError = store.RcptDeferred, 1, time.Now().Add(time.Hour+time.Minute), "451 4.3.0 try later"
			ch.Rcpts = []store.QueuedRcpt{r}
		}
		must(t, st.ReleaseClaim(ctx, m.ID, "test", ch))
	}
	return small, large
}

// `petrel queue list` has a header row, a size with its unit and ages and
// next attempts a person reads (issue 13); before, a bare row of numbers
// ("3145745") and RFC 3339 times.
func TestQueueListHeaderUnits(t *testing.T) {
	e := newEnv(t, "")
	small, large := queueTwo(t, e)
	out := e.ok("", "queue", "list")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("queue list: %d lines, want a header, 2 messages and 2 recipients:\n%s", len(lines), out)
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "QUEUE ID MSG ID AGE SIZE SENDER" {
		t.Errorf("header row %q", lines[0])
	}
	for i, want := range []*regexp.Regexp{
		regexp.MustCompile(`^` + small + `  msgid00small  1h30m +\d+ B  <alice@example\.org>$`),
		regexp.MustCompile(`^    deferred  bob@remote\.example  next in 1h0m  \(451 4\.3\.0 try later\)$`),
		regexp.MustCompile(`^` + large + `  msgid0large0  1h30m +3\.0 MiB  <alice@example\.org>$`),
		regexp.MustCompile(`^    pending   carol@remote\.example$`),
	} {
		if !want.MatchString(lines[i+1]) {
			t.Errorf("line %d: %q, want %s", i+1, lines[i+1], want)
		}
	}
	// The columns line up under the header.
	if h, m := strings.Index(lines[0], "SENDER"), strings.Index(lines[1], "<"); h != m {
		t.Errorf("SENDER at column %d, the sender at %d:\n%s", h, m, out)
	}
}

// `petrel queue show` takes the ID the client was told ("250 ... queued
// as ID", the msg_id of the logs) as well as the queue ID (issue 13).
func TestQueueShowByMsgID(t *testing.T) {
	e := newEnv(t, "")
	small, _ := queueTwo(t, e)
	byQueue := e.ok("", "queue", "show", small)
	byMsg := e.ok("", "queue", "show", "msgid00small")
	if byMsg != byQueue {
		t.Errorf("show by msg_id:\n%s\nshow by queue ID:\n%s", byMsg, byQueue)
	}
	for _, want := range []string{"QUEUE ID", small + "  msgid00small", "deferred  bob@remote.example  next in 1h0m (", "attempts 1"} {
		if !strings.Contains(byMsg, want) {
			t.Errorf("queue show lacks %q:\n%s", want, byMsg)
		}
	}
	if strings.Contains(byMsg, "carol") {
		t.Errorf("queue show of one message shows another:\n%s", byMsg)
	}
	if r := e.run("", "queue", "show", "nosuchid0000"); r.code == 0 || !strings.Contains(r.stderr, "no queued message nosuchid0000") {
		t.Errorf("queue show of an unknown ID: exit %d, %q", r.code, r.stderr)
	}
}

// A held message (submitted mail the content filter rejected) shows as
// held in `petrel queue list`, and `petrel queue retry ID` releases it as
// new mail (issue 17).
func TestQueueHeldListedAndReleased(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	st := e.openStore()
	qs := queue.New(queue.Config{}, queue.Deps{Store: st})
	from, err := mailaddr.Parse("alice@example.org")
	must(t, err)
	to, err := mailaddr.Parse("dave@remote.example")
	must(t, err)
	body := "Subject: spam\r\n\r\nbuy\r\n"
	id, err := qs.Enqueue(context.Background(), &envelope.Envelope{ID: "msgid000held", From: from, Held: true},
		strings.NewReader(body), int64(len(body)), []envelope.Recipient{{Addr: to}})
	must(t, err)
	st.Close()
	if out := e.ok("", "queue", "list"); !strings.Contains(out, "    held      dave@remote.example") {
		t.Fatalf("queue list does not show the held recipient:\n%s", out)
	}
	if out := e.ok("", "queue", "retry", id); !strings.Contains(out, "1 deferred or held recipient(s) due now") {
		t.Fatalf("queue retry: %s", out)
	}
	if out := e.ok("", "queue", "list"); !strings.Contains(out, "    pending   dave@remote.example") {
		t.Fatalf("after the release:\n%s", out)
	}
}
