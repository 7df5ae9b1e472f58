package main

// PostgreSQL stopped and started under load beneath two `petrel serve`
// nodes (README "Several nodes").

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/testkit"
)

// smtpLoad sends messages to bob@example.org through a node's SMTP
// listener until stopped, and keeps the Message-ID of each one answered
// 250. Any other reply than 250 or 4xx fails the test.
type smtpLoad struct {
	t          *testing.T
	mu         sync.Mutex
	acked      []string
	temporary  atomic.Int64
	stop, done chan struct{}
}

func startSMTPLoad(t *testing.T, n *node) *smtpLoad {
	l := &smtpLoad{t: t, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			msg := nodeMessage(fmt.Sprintf("load-%d", i))
			err := e2eSend(n.smtp, "client.example.net", "x@example.net", []string{"bob@example.org"}, msg)
			var se *smtp.SMTPError
			switch {
			case err == nil:
				l.mu.Lock()
				l.acked = append(l.acked, headerValue(msg, "Message-ID"))
				l.mu.Unlock()
			case errors.As(err, &se) && se.Code/100 == 4:
				l.temporary.Add(1)
				time.Sleep(20 * time.Millisecond)
			default:
				l.t.Errorf("message %d: %v, want 250 or a 4xx reply", i, err)
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	return l
}

func (l *smtpLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *smtpLoad) end() []string {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// imapProbe runs STATUS on a selected session of a node until stopped;
// each reply must be OK or NO [UNAVAILABLE] (RFC 5530 §3), never BAD and
// never a dropped connection.
func imapProbe(t *testing.T, n *node, unavailable *atomic.Int64) (stop func()) {
	c := n.imapLogin("bob@example.org")
	c.OK("s SELECT INBOX")
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			default:
			}
			tag := fmt.Sprintf("p%d", i)
			u, tagged := c.Cmd(tag + " STATUS INBOX (MESSAGES UIDNEXT)")
			switch {
			case strings.HasPrefix(tagged, tag+" OK"):
			case strings.HasPrefix(tagged, tag+" NO [UNAVAILABLE]"):
				unavailable.Add(1)
			default:
				t.Errorf("STATUS with the database down: %q %q, want OK or NO [UNAVAILABLE]", u, tagged)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return func() { close(quit); <-done }
}

var messageIDRe = regexp.MustCompile(`(?i)Message-ID: (<[^>]+>)`)

// TestNodesPostgresRestart: PostgreSQL stopped and started while SMTP
// clients deliver through node A and IMAP sessions run on both nodes.
// While it is down SMTP gets 4xx replies and IMAP NO [UNAVAILABLE];
// every message answered 250 is in the mailbox afterwards; the nodes
// serve again without a restart, and an IDLE session on node B that lived
// through the outage hears of new mail.
func TestNodesPostgresRestart(t *testing.T) {
	srv := testkit.StartPostgres(t)
	c := newClusterOn(t, srv.DSN())
	a, b := c.newNode("a", "2m", ""), c.newNode("b", "2m", "")
	a.cli("", "domain", "add", "example.org")
	a.addUsers("bob@example.org")
	a.start()
	b.start()
	bobB := idleOn(b, "bob@example.org")
	bobSel := b.imapLogin("bob@example.org")

	load := startSMTPLoad(t, a)
	var unavailable atomic.Int64
	stopProbe := imapProbe(t, a, &unavailable)
	waitCond(t, "deliveries before the stop", func() bool { return load.ackedCount() >= 30 })
	srv.Stop()
	stopped := load.ackedCount()
	waitCond(t, "4xx replies and NO [UNAVAILABLE] while the database is down", func() bool {
		return load.temporary.Load() >= 10 && unavailable.Load() >= 3
	})
	if n := load.ackedCount() - stopped; n > 4 {
		t.Errorf("%d messages answered 250 after the database stopped", n)
	}
	downOnB(t, b, bobSel)
	srv.Start()
	restarted := load.ackedCount()
	waitCond(t, "deliveries after the restart", func() bool { return load.ackedCount() >= restarted+30 })
	acked := load.end()
	stopProbe()
	t.Logf("%d messages answered 250, %d answered 4xx, %d IMAP commands NO [UNAVAILABLE]",
		len(acked), load.temporary.Load(), unavailable.Load())

	// Every message answered 250 is there, read through node B.
	bobRead := b.imapLogin("bob@example.org")
	bobRead.OK("s SELECT INBOX")
	have := map[string]bool{}
	for _, l := range bobRead.OK("f FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])") {
		if m := messageIDRe.FindStringSubmatch(l); m != nil {
			have[m[1]] = true
		}
	}
	for _, id := range acked {
		if !have[id] {
			t.Errorf("message %s answered 250 is not in the mailbox", id)
		}
	}
	// The IDLE session that lived through the outage hears of new mail.
	smtpTo(t, a, "bob@example.org", "after the restart")
	await(bobB, fmt.Sprintf("* %d EXISTS", len(have)+1), time.Now(), 5*time.Second)
}

// downOnB: with the database down, logins on node B (IMAP, POP3,
// submission) and a SELECT get temporary refusals: IMAP NO [UNAVAILABLE]
// (RFC 5530 §3), POP3 -ERR [SYS/TEMP] (RFC 3206 §4), SMTP AUTH 454 (RFC
// 4954 §6); the connections stay open.
func downOnB(t *testing.T, b *node, loggedIn *testkit.IMAP) {
	t.Helper()
	if _, tagged := loggedIn.Cmd("s SELECT INBOX"); !strings.HasPrefix(tagged, "s NO [UNAVAILABLE]") {
		t.Errorf("SELECT with the database down: %q, want NO [UNAVAILABLE]", tagged)
	}
	loggedIn.OK("n NOOP")
	c := &testkit.IMAP{Conn: testkit.Dial(t, b.imap)}
	c.Expect("* OK")
	if _, tagged := c.Cmd("l LOGIN bob@example.org " + nodesPassword); !strings.HasPrefix(tagged, "l NO [UNAVAILABLE]") {
		t.Errorf("LOGIN with the database down: %q, want NO [UNAVAILABLE]", tagged)
	}
	c.OK("n NOOP")
	p := testkit.Dial(t, b.pop3)
	p.Expect("+OK")
	p.Ask("USER bob@example.org", "+OK")
	p.Ask("PASS "+nodesPassword, "-ERR [SYS/TEMP]")
	err := b.submit("bob@example.org", []string{"someone@remote.test"}, nodeMessage("down"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 4 {
		t.Errorf("submission with the database down: %v, want a 4xx reply", err)
	}
}

// waitCond waits up to 60 s for cond.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
