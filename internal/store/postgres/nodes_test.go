package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// nodes opens two Stores (two nodes) on one new database with a domain
// and an account.
func nodes(t *testing.T) (a, b *Store, acct store.Account) {
	t.Helper()
	dsn := newDatabase(t)
	var err error
	if a, err = openTest(dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = openTest(dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx := context.Background()
	if err := a.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	if acct, err = a.CreateAccount(ctx, "u@example.org", "h"); err != nil {
		t.Fatal(err)
	}
	return a, b, acct
}

func testMsg(subject string) []byte {
	return []byte("From: a@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.com>\r\n\r\nhello\r\n")
}

// settle lets the events of the account's creation reach a new
// subscriber, then drops them.
func settle(sub *store.Subscription) {
	time.Sleep(300 * time.Millisecond)
	select {
	case <-sub.C():
	default:
	}
	sub.Events()
}

// nextEvents waits up to a second for the subscription's events; an
// overflow fails the test.
func nextEvents(t *testing.T, sub *store.Subscription, what string) []store.Change {
	t.Helper()
	select {
	case <-sub.C():
		ev, overflow := sub.Events()
		if overflow {
			t.Fatalf("%s: overflow, want the events themselves", what)
		}
		return ev
	case <-time.After(time.Second):
		t.Fatalf("%s: no event within 1 s", what)
		return nil
	}
}

// TestFeedAcrossNodes: a subscriber on node B gets, within a second, the
// very events of a delivery, a flag change and an expunge made on node
// A, with the account state; A's own subscriber gets each event once.
func TestFeedAcrossNodes(t *testing.T) {
	a, b, acct := nodes(t)
	ctx := context.Background()
	subB := b.Subscribe(acct.ID)
	defer subB.Close()
	subA := a.Subscribe(acct.ID)
	defer subA.Close()
	settle(subB)
	res, err := a.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("x"))}, []store.Target{{Account: acct.ID}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Deliver: %v %v", err, res)
	}
	d := res[0]
	state, err := a.AccountState(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvents(t, subB, "delivery on the other node")
	if len(ev) != 1 || ev[0].Kind != store.ChangeAdded || ev[0].Mailbox != d.Mailbox ||
		!slices.Equal(ev[0].UIDs, []store.UID{d.UID}) || ev[0].ModSeq != d.ModSeq || ev[0].State != state {
		t.Fatalf("delivery event on B = %+v, want UID %d MODSEQ %d state %d", ev, d.UID, d.ModSeq, state)
	}
	if _, err := a.StoreFlags(ctx, d.Mailbox, []store.UID{d.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvents(t, subB, "flag change on the other node"); len(ev) != 1 || ev[0].Kind != store.ChangeFlags {
		t.Fatalf("flags event on B = %+v", ev)
	}
	if _, err := a.Expunge(ctx, d.Mailbox, []store.UID{d.UID}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvents(t, subB, "expunge on the other node"); len(ev) != 1 || ev[0].Kind != store.ChangeExpunged ||
		!slices.Equal(ev[0].UIDs, []store.UID{d.UID}) {
		t.Fatalf("expunge event on B = %+v", ev)
	}
	// A published its own three changes once each, not again when its
	// notifications came back.
	time.Sleep(300 * time.Millisecond)
	ev, overflow := subA.Events()
	if overflow || len(ev) != 3 {
		t.Fatalf("A's own subscriber got %d events (overflow %v), want 3: %+v", len(ev), overflow, ev)
	}
}

// TestFeedReconnect: when a node's listen connection is lost, it connects
// again and tells its subscribers to resynchronise, and later changes of
// other nodes reach them again.
func TestFeedReconnect(t *testing.T) {
	a, b, acct := nodes(t)
	ctx := context.Background()
	sub := b.Subscribe(acct.ID)
	defer sub.Close()
	settle(sub)
	pid := <-b.feed.pid
	if _, err := a.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.C():
		if _, overflow := sub.Events(); !overflow {
			t.Fatal("after a lost feed connection the subscriber was not told to resynchronise")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no resynchronisation within 5 s of a lost feed connection")
	}
	if newPID := <-b.feed.pid; newPID == pid {
		t.Fatal("the feed connection was not replaced")
	}
	res, err := a.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("y"))}, []store.Target{{Account: acct.ID}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Deliver: %v %v", err, res)
	}
	if ev := nextEvents(t, sub, "delivery after the reconnection"); len(ev) != 1 || ev[0].UIDs[0] != res[0].UID {
		t.Fatalf("event after the reconnection = %+v", ev)
	}
}

// TestClaimsAcrossNodes: the runners of two nodes claiming at once from
// one queue get every message once between them.
func TestClaimsAcrossNodes(t *testing.T) {
	a, b, _ := nodes(t)
	ctx := context.Background()
	const n = 60
	for i := range n {
		_, err := a.Enqueue(ctx, store.NewQueued{ID: fmt.Sprintf("q%02d", i), From: "u@example.org",
			Body: bytes.NewReader(testMsg("q")), Rcpts: []store.QueuedRcpt{{Addr: "x@remote.example", Domain: "remote.example"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		s := []*Store{a, b}[w%2]
		owner := fmt.Sprintf("node%d-runner%d", w%2, w)
		wg.Go(func() {
			for {
				ms, err := s.ClaimQueued(ctx, store.ClaimRequest{Owner: owner, Now: time.Now(), Lease: time.Minute, Limit: 3})
				if err != nil {
					t.Errorf("ClaimQueued: %v", err)
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					if prev, dup := got[m.ID]; dup {
						t.Errorf("%s claimed by %s and %s", m.ID, prev, owner)
					}
					got[m.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d messages claimed, want %d", len(got), n)
	}
}

// TestKVAcrossNodes: a key stored through one node is read through the
// other, and a create-only write of it there is refused (two nodes
// generating the same DKIM selector).
func TestKVAcrossNodes(t *testing.T) {
	a, b, _ := nodes(t)
	ctx := context.Background()
	const key = "dkim/example.org/s1.pem"
	if err := a.KVCreate(ctx, key, []byte("key A")); err != nil {
		t.Fatal(err)
	}
	if v, err := b.KVLoad(ctx, key); err != nil || string(v) != "key A" {
		t.Fatalf("KVLoad on the other node = %q, %v", v, err)
	}
	if err := b.KVCreate(ctx, key, []byte("key B")); !store.IsKind(err, store.KindExists) {
		t.Fatalf("KVCreate of an existing key on the other node: %v, want exists", err)
	}
	if err := b.KVDelete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.KVExists(ctx, key); ok || err != nil {
		t.Fatalf("KVExists after a delete on the other node = %v, %v", ok, err)
	}
}

// commitCounter is a Metrics that counts commits and their writes.
type commitCounter struct {
	mu             sync.Mutex
	commits, items int
}

func (c *commitCounter) ObserveCommit(batch int, _ time.Duration) {
	c.mu.Lock()
	c.commits, c.items = c.commits+1, c.items+batch
	c.mu.Unlock()
}

// TestCommitMetrics: delivery batches and other writes report their
// commits (the petrel_store_commit metrics).
func TestCommitMetrics(t *testing.T) {
	m := &commitCounter{}
	s, err := Open(context.Background(), newDatabase(t), Options{MaxConns: 4, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	acct, err := s.CreateAccount(ctx, "u@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg(fmt.Sprint(i)))}, []store.Target{{Account: acct.ID}})
			if err != nil || res[0].Err != nil {
				t.Errorf("Deliver: %v %v", err, res)
			}
		})
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items != 22 || m.commits < 3 || m.commits > 22 {
		t.Fatalf("%d commits of %d writes observed, want the 2 writes and 20 deliveries in 3 to 22 commits", m.commits, m.items)
	}
}

// TestImportTellsOtherNodes: messages that ImportMessages stores on node
// A (`petrel import` beside a running server) make node B's subscribers
// of the account read the store again.
func TestImportTellsOtherNodes(t *testing.T) {
	a, b, acct := nodes(t)
	ctx := context.Background()
	inbox, err := a.Mailbox(ctx, acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	subB := b.Subscribe(acct.ID)
	defer subB.Close()
	settle(subB)
	ids, err := a.ReserveEmailIDs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ImportMessages(ctx, acct.ID, inbox.ID, []store.ImportMessage{{UID: 1, ModSeq: 1, EmailID: ids[0],
		ThreadID: store.ThreadID(ids[0]), InternalDate: time.Now(), Body: bytes.NewReader(testMsg("imported"))}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-subB.C():
		if _, resync := subB.Events(); !resync {
			t.Fatal("B's subscriber got events, want a resynchronisation")
		}
	case <-time.After(time.Second):
		t.Fatal("no resynchronisation on the other node within 1 s")
	}
}
