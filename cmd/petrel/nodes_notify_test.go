package main

import (
	"testing"
	"time"
)

// TestNodesNotify: NOTIFY (RFC 5465) on node B hears of a delivery
// through node A's SMTP and of a mailbox created on node A, without a
// command and without IDLE, through the PostgreSQL change feed.
func TestNodesNotify(t *testing.T) {
	_, a, b := twoNodes(t, "2m", "bob@example.org")
	bobB := b.imapLogin("bob@example.org")
	bobB.OK("n NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")

	smtpTo(t, a, "bob@example.org", "notified")
	took := await(bobB, "* STATUS INBOX (MESSAGES 1 UIDNEXT 2 ", time.Now(), 2*time.Second)
	t.Logf("STATUS on node B %v after the 250 of node A", took)

	bobA := a.imapLogin("bob@example.org")
	start := time.Now()
	bobA.OK("c CREATE Projects")
	took = await(bobB, `* LIST () "/" Projects`, start, 2*time.Second)
	t.Logf("LIST on node B %v after CREATE on node A", took)

	bobA.OK("s SELECT INBOX")
	bobA.OK(`d STORE 1 +FLAGS (\Deleted)`)
	start = time.Now()
	bobA.OK("x EXPUNGE")
	await(bobB, "* STATUS INBOX (MESSAGES 0 ", start, 2*time.Second)
}
