package main

// Several `petrel serve` processes on one PostgreSQL database (README
// "Several nodes"): what a client does on one node is seen by its
// sessions on another, the POP3 maildrop lock and \Recent hold across
// nodes, the administration commands work while the nodes run, a DKIM
// key made from one node signs on the others, and two nodes never share
// a data directory. The queue shared by nodes: nodes_queue_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/testkit"
)

// idleOn logs in to n as user, selects INBOX and starts IDLE.
func idleOn(n *node, user string) *testkit.IMAP {
	n.t.Helper()
	c := n.imapLogin(user)
	c.OK("s SELECT INBOX")
	startIdle(c, "i")
	return c
}

func startIdle(c *testkit.IMAP, tag string) {
	c.T.Helper()
	c.Send(tag + " IDLE\r\n")
	c.Expect("+ ")
}

// await reads responses of c until one contains want, and fails unless it
// came within `within` of start; it returns the time it took.
func await(c *testkit.IMAP, want string, start time.Time, within time.Duration) time.Duration {
	c.T.Helper()
	defer func(d time.Duration) { c.Timeout = d }(c.Timeout)
	c.Timeout = within + 2*time.Second // a silence fails the test (Line)
	for {
		l := c.Response()
		if !strings.Contains(l, want) {
			continue
		}
		took := time.Since(start)
		if took > within {
			c.T.Fatalf("%q came after %v, want within %v", l, took, within)
		}
		return took
	}
}

// untagged returns the first of lines that contains every one of wants.
func untagged(lines []string, wants ...string) (string, bool) {
	for _, l := range lines {
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return l, true
		}
	}
	return "", false
}

// hasUID reports whether a FETCH response of lines names uid.
func hasUID(lines []string, uid int) bool {
	re := regexp.MustCompile(fmt.Sprintf(`FETCH \(.*\bUID %d\b`, uid))
	for _, l := range lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

var modseqRe = regexp.MustCompile(`(?:HIGHESTMODSEQ|MODSEQ \(|UIDVALIDITY) ?(\d+)`)

// number is the number after key ("HIGHESTMODSEQ", "MODSEQ (",
// "UIDVALIDITY") in the first of lines that has it.
func number(t *testing.T, lines []string, key string) uint64 {
	t.Helper()
	for _, l := range lines {
		if i := strings.Index(l, key); i >= 0 {
			if m := modseqRe.FindStringSubmatch(l[i:]); m != nil {
				v, _ := strconv.ParseUint(m[1], 10, 64)
				return v
			}
		}
	}
	t.Fatalf("no %s in %q", key, lines)
	return 0
}

// nodeMessage is a message for a local recipient, with a unique Message-ID.
func nodeMessage(subject string) []byte {
	return []byte(fmt.Sprintf("From: x@example.net\r\nTo: someone@example.org\r\nSubject: %s\r\n"+
		"Message-ID: <%s.%d@example.net>\r\n\r\nBody of %s.\r\n", subject, subject, time.Now().UnixNano(), subject))
}

// smtpTo delivers a message to rcpt over n's SMTP listener.
func smtpTo(t *testing.T, n *node, rcpt, subject string) {
	t.Helper()
	must(t, e2eSend(n.smtp, "client.example.net", "x@example.net", []string{rcpt}, nodeMessage(subject)))
}

// twoNodes starts nodes a and b on one new database with example.org and
// its users.
func twoNodes(t *testing.T, lease string, users ...string) (*cluster, *node, *node) {
	t.Helper()
	c := newCluster(t)
	a, b := c.newNode("a", lease, ""), c.newNode("b", lease, "")
	a.cli("", "domain", "add", "example.org")
	a.addUsers(users...)
	a.start()
	b.start()
	return c, a, b
}

// TestNodesSessions: two nodes; IDLE on one node hears of a delivery, a
// flag change and an expunge made through the other within a second;
// CONDSTORE and QRESYNC on one see a STORE made on the other; \Recent
// goes to one session of all nodes; POP3 [IN-USE] holds across nodes; the
// administration commands work against the database while both run.
func TestNodesSessions(t *testing.T) {
	_, a, b := twoNodes(t, "2m", "bob@example.org", "carol@example.org", "dave@example.org")

	// A delivery through A's SMTP wakes IDLE on B.
	bobB := idleOn(b, "bob@example.org")
	smtpTo(t, a, "bob@example.org", "first")
	sent := time.Now()
	took := await(bobB, "* 1 EXISTS", sent, time.Second)
	t.Logf("EXISTS on node B %v after the 250 of node A", took)

	// A flag set on A, then an expunge on A, reach IDLE on B.
	bobA := a.imapLogin("bob@example.org")
	bobA.OK("s SELECT INBOX")
	smtpTo(t, a, "bob@example.org", "second")
	await(bobB, "* 2 EXISTS", time.Now(), time.Second)
	start := time.Now()
	bobA.OK(`f STORE 1 +FLAGS (\Flagged)`)
	took = await(bobB, `\Flagged`, start, time.Second)
	t.Logf("flag change on node B %v after STORE on node A", took)

	// STORE on B, seen on A by CHANGEDSINCE and by SELECT (QRESYNC ...).
	bobB.Send("DONE\r\n")
	bobB.Until("i")
	selected := bobA.OK("c SELECT INBOX (CONDSTORE)")
	validity, before := number(t, selected, "UIDVALIDITY"), number(t, selected, "HIGHESTMODSEQ")
	bobB.OK(`b STORE 2 +FLAGS (\Answered)`)
	changed := bobA.OK(fmt.Sprintf("g UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)", before))
	line, ok := untagged(changed, "UID 2", `\Answered`, "MODSEQ")
	if !ok || hasUID(changed, 1) {
		t.Fatalf("CHANGEDSINCE %d on node A: %q, want the one message changed on node B", before, changed)
	}
	if m := number(t, []string{line}, "MODSEQ ("); m <= before {
		t.Errorf("MODSEQ %d of the change on node B, not above %d", m, before)
	}
	bobQ := a.imapLogin("bob@example.org")
	bobQ.OK("e ENABLE QRESYNC")
	resync := bobQ.OK(fmt.Sprintf("q SELECT INBOX (QRESYNC (%d %d))", validity, before))
	if _, ok := untagged(resync, "UID 2", `\Answered`, "MODSEQ"); !ok {
		t.Errorf("SELECT QRESYNC on node A: %q, want the FETCH of UID 2 changed on node B", resync)
	}
	if hasUID(resync, 1) {
		t.Errorf("SELECT QRESYNC on node A reports UID 1, unchanged since %d: %q", before, resync)
	}

	startIdle(bobB, "i2")
	bobA.OK(`d STORE 1 +FLAGS (\Deleted)`)
	start = time.Now()
	bobA.OK("x EXPUNGE")
	took = await(bobB, "* 1 EXPUNGE", start, time.Second)
	t.Logf("EXPUNGE on node B %v after EXPUNGE on node A", took)

	recentAcrossNodes(t, a, b)
	pop3AcrossNodes(t, a, b)

	// The administration commands against the database while both run.
	b.addUsers("erin@example.org")
	a.imapLogin("erin@example.org").OK("o LOGOUT")
	if out := a.cli("", "user", "list"); !strings.Contains(out, "erin@example.org") {
		t.Errorf("user list on node A lacks the account added on node B:\n%s", out)
	}
	if out := a.cli("", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Errorf("queue list on node A:\n%s", out)
	}
}

// recentAcrossNodes: \Recent (RFC 3501 §2.3.2) is a session's of all the
// nodes: the first session to see a new message, on either node, gets
// it; the other does not.
func recentAcrossNodes(t *testing.T, a, b *node) {
	t.Helper()
	smtpTo(t, b, "carol@example.org", "recent one")
	carolA, carolB := a.imapLogin("carol@example.org"), b.imapLogin("carol@example.org")
	if _, ok := untagged(carolA.OK("s SELECT INBOX"), "* 1 RECENT"); !ok {
		t.Error("the first SELECT, on node A, does not report the new message as recent")
	}
	if _, ok := untagged(carolB.OK("s SELECT INBOX"), "* 0 RECENT"); !ok {
		t.Error("the second SELECT, on node B, reports a message recent that node A's session had")
	}
	// A message arriving while both have the mailbox selected.
	smtpTo(t, a, "carol@example.org", "recent two")
	recent := 0
	for _, c := range []*testkit.IMAP{carolA, carolB} {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if _, ok := untagged(c.OK("n NOOP"), "* 2 EXISTS"); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a session did not see the second message within 5 s")
			}
		}
		if _, ok := untagged(c.OK("f FETCH 2 (FLAGS)"), `\Recent`); ok {
			recent++
		}
	}
	if recent != 1 {
		t.Errorf("the second message is \\Recent in %d sessions of the two nodes, want 1", recent)
	}
}

// pop3AcrossNodes: a POP3 session on node A holds dave's maildrop; one on
// node B is refused with [IN-USE] (RFC 2449 §8.1.1) until A's quits.
func pop3AcrossNodes(t *testing.T, a, b *node) {
	t.Helper()
	login := func(n *node) *testkit.Conn {
		c := testkit.Dial(t, n.pop3)
		c.Expect("+OK")
		c.Ask("USER dave@example.org", "+OK")
		return c
	}
	popA := login(a)
	popA.Ask("PASS "+nodesPassword, "+OK")
	popB := login(b)
	popB.Ask("PASS "+nodesPassword, "-ERR [IN-USE]")
	popA.Ask("QUIT", "+OK")
	popA.EOF()
	login(b).Ask("PASS "+nodesPassword, "+OK")
}

// TestNodesDKIM: a key made by `petrel dkim generate` through node A
// while both nodes run signs the mail submitted through node B (whose
// signer had loaded the keys before), within its reload interval; once
// removed through node B it no longer signs on node A.
func TestNodesDKIM(t *testing.T) {
	c, a, b := twoNodes(t, "2m", "alice@example.org")
	to := []string{"someone@remote.test"}
	before := outMessage("alice@example.org", "before the key", to...)
	must(t, b.submit("alice@example.org", to, before))
	waitCopies(t, c.remote, 1)
	if id := headerValue(before, "Message-ID"); bytes.Contains(c.remote.body(id), []byte("DKIM-Signature:")) {
		t.Fatal("signed without a key")
	}

	out := a.cli("", "dkim", "generate", "example.org")
	c.dns.Add(t, strings.TrimSpace(out))
	time.Sleep(4 * time.Second) // dkim's reload interval is 3 s
	after := outMessage("alice@example.org", "after the key", to...)
	must(t, b.submit("alice@example.org", to, after))
	waitCopies(t, c.remote, 2)
	got := c.remote.body(headerValue(after, "Message-ID"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := dkim.Verify(ctx, dnsr.New([]string{c.dns.Addr}, time.Second), bytes.NewReader(got), 0)
	if err != nil || len(res) != 1 || res[0].Status != dkim.Pass || res[0].Domain != "example.org" {
		t.Fatalf("mail submitted through node B after dkim generate on node A: %+v, %v; want one pass for example.org:\n%s",
			res, err, got)
	}

	// Node A signs with it too; removed through node B, it no longer does.
	onA := outMessage("alice@example.org", "signed on A", to...)
	must(t, a.submit("alice@example.org", to, onA))
	waitCopies(t, c.remote, 3)
	if got := c.remote.body(headerValue(onA, "Message-ID")); !bytes.Contains(got, []byte("DKIM-Signature:")) {
		t.Fatalf("node A does not sign with the key:\n%s", got)
	}
	selector, _, _ := recordText(t, out)
	b.cli("", "dkim", "remove", "example.org", selector)
	time.Sleep(4 * time.Second)
	removed := outMessage("alice@example.org", "after the removal", to...)
	must(t, a.submit("alice@example.org", to, removed))
	waitCopies(t, c.remote, 4)
	if got := c.remote.body(headerValue(removed, "Message-ID")); bytes.Contains(got, []byte("DKIM-Signature:")) {
		t.Errorf("node A still signs with the key removed through node B:\n%s", got)
	}
}

// waitCopies waits until the fake MX has kept n messages.
func waitCopies(t *testing.T, m *fakeMX, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); len(m.kept()) < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the fake MX kept %d message(s) in 30 s, want %d", len(m.kept()), n)
		}
	}
}

// TestNodesOwnDataDir: a second node started on the data directory of a
// running one (its spool, emptied at start, and its control socket) is
// refused with a clear error.
func TestNodesOwnDataDir(t *testing.T) {
	c, _, b := twoNodes(t, "2m")
	other := c.newNode("c", "2m", "")
	other.dataDir = b.dataDir
	other.write("", "2m")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.bin, "serve", "--config", other.config).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("a serve on the data directory of a running node was still running after 30 s:\n%s", out)
	}
	if err == nil || !bytes.Contains(out, []byte("another petrel serve is already running")) ||
		!bytes.Contains(out, []byte("every node its own")) {
		t.Errorf("serve on a data directory in use: %v\n%s", err, out)
	}
}
