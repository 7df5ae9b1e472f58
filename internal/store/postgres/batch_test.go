package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// batchCase is a batch of deliveries whose targets meet in accounts and
// mailboxes, whose threads come from deliveries before them in the same
// batch, one of which has a body too large for the batch's call, and
// whose last delivery fails (no such mailbox).
type batchCase struct {
	s       *Store
	a, b, c store.AccountID
	other   store.MailboxID
}

func newBatchCase(t *testing.T) *batchCase {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, newDatabase(t), Options{MaxConns: 8, Writers: 1, NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	bc := &batchCase{s: s}
	for i, p := range []*store.AccountID{&bc.a, &bc.b, &bc.c} {
		acct, err := s.CreateAccount(ctx, fmt.Sprintf("u%d@example.org", i), "h")
		if err != nil {
			t.Fatal(err)
		}
		*p = acct.ID
	}
	mb, err := s.CreateMailbox(ctx, bc.a, "Other", store.SpecialUse(""))
	if err != nil {
		t.Fatal(err)
	}
	bc.other = mb.ID
	return bc
}

// deliveries builds the batch's deliveries, in the order run gives them
// (by first account): the last one fails.
func (bc *batchCase) deliveries(t *testing.T) []*delivery {
	t.Helper()
	ctx := context.Background()
	msg := func(id, reply string) []byte {
		h := "From: x@example.com\r\nSubject: s\r\n"
		if id != "" {
			h += "Message-ID: <" + id + "@example.com>\r\n"
		}
		if reply != "" {
			h += "In-Reply-To: <" + reply + "@example.com>\r\nReferences: <" + reply + "@example.com>\r\n"
		}
		return []byte(h + "\r\nhello " + id + "\r\n")
	}
	cases := []struct {
		body    []byte
		targets []store.Target
	}{
		{msg("1", ""), []store.Target{{Account: bc.a}, {Account: bc.b, MailboxName: "INBOX"}, {Account: bc.a, Mailbox: bc.other}}},
		{msg("2", "1"), []store.Target{{Account: bc.a, Flags: store.FlagSeen}}},
		{msg("3", "2"), []store.Target{{Account: bc.a}, {Account: bc.a, Keywords: []string{"$label1"}}}},
		{msg("", ""), []store.Target{{Account: bc.b}}},
		{msg("4", "1"), []store.Target{{Account: bc.b}, {Account: bc.a, Mailbox: bc.other, Flags: store.FlagSeen}}},
		// Over maxBatchedBody: a petrel_deliver call of its own in the
		// batch's transaction.
		{append(msg("6", "3"), bytes.Repeat([]byte("x"), maxBatchedBody)...), []store.Target{{Account: bc.a}}},
		{msg("5", ""), []store.Target{{Account: bc.c, MailboxName: "Nope"}}},
	}
	var out []*delivery
	for _, c := range cases {
		b, err := bc.s.intake(ctx, bytes.NewReader(c.body), nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, newDelivery(b, c.targets, []int{0, 1, 2}[:len(c.targets)], time.Unix(1700000000, 0), false))
	}
	return out
}

// dump lists what the deliveries left in the tables.
func (bc *batchCase) dump(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range []string{
		`SELECT mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid FROM messages ORDER BY mailbox, uid`,
		`SELECT id, used_bytes, used_messages, state FROM accounts ORDER BY id`,
		`SELECT id, uidnext, highestmodseq, messages, unseen, size FROM mailboxes ORDER BY id`,
		`SELECT id, size, refs FROM blobs ORDER BY id`,
		`SELECT account, key, thread FROM thread_keys ORDER BY account, key`,
	} {
		rows, err := bc.s.pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(v...))
		}
		rows.Close()
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
	}
	return out
}

// results lists the deliveries' outcomes, but for UIDVALIDITY (taken
// from the clock when a mailbox is made).
func results(ds []*delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("err=%v", d.err))
		for _, r := range d.rows {
			r.uidValidity = 0
			out = append(out, fmt.Sprintf("%+v", r))
		}
	}
	return out
}

// The set-based path of petrel_deliver_batch (every target deliverable)
// stores exactly what one petrel_deliver call per delivery stores, which
// the batch's fallback makes: the same batch with a failing delivery at
// its end goes through the fallback on one database, and without it,
// then the failing one alone, through the set-based path on another.
func TestBatchSetBasedMatchesSequential(t *testing.T) {
	seq, set := newBatchCase(t), newBatchCase(t)

	all := seq.deliveries(t)
	seq.s.deliverer.run(all)
	ds := set.deliveries(t)
	set.s.deliverer.run(ds[:len(ds)-1])
	set.s.deliverer.run(ds[len(ds)-1:])

	last := all[len(all)-1]
	if len(last.rows) != 1 || last.rows[0].err != 2 {
		t.Fatalf("the delivery to no mailbox: %+v, want error 2", last.rows)
	}
	for i, d := range all[:len(all)-1] {
		if d.err != nil {
			t.Fatalf("delivery %d: %v", i, d.err)
		}
	}
	if a, b := results(all), results(ds); !slices.Equal(a, b) {
		t.Errorf("results differ:\nsequential %q\nset-based  %q", a, b)
	}
	a, b := seq.dump(t), set.dump(t)
	if !slices.Equal(a, b) {
		t.Errorf("stores differ:\nsequential %q\nset-based  %q", a, b)
	}
	// The threads: 2, 3 and 4 reply (through 2 for 3) to 1.
	var threads int64
	if err := set.s.pool.QueryRow(context.Background(),
		`SELECT count(DISTINCT threadid) FROM messages m JOIN mailboxes x ON x.id = m.mailbox WHERE x.account = $1`,
		set.a).Scan(&threads); err != nil || threads != 1 {
		t.Errorf("account a's messages are in %d threads (%v), want 1", threads, err)
	}
	t.Logf("%d rows compared", len(a))
}
