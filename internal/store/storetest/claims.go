package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// claimEnv is a queue with helpers to claim as one owner at a given time.
type claimEnv struct {
	*env
	t0    time.Time
	lease time.Duration
}

func newClaimEnv(t *testing.T, b Backend) *claimEnv {
	return &claimEnv{env: newEnv(t, b), t0: time.Now().Truncate(time.Millisecond), lease: time.Minute}
}

// enqueue queues a message with one recipient per domain.
func (c *claimEnv) enqueue(id string, domains ...string) {
	c.t.Helper()
	nq := store.NewQueued{ID: id, From: "a@example.org", Arrived: c.t0, Body: bytes.NewReader(msg(id, 200))}
	for _, d := range domains {
		nq.Rcpts = append(nq.Rcpts, store.QueuedRcpt{Addr: "u@" + d, Domain: d})
	}
	if _, err := c.s.Enqueue(c.ctx, nq); err != nil {
		c.t.Fatalf("Enqueue(%s): %v", id, err)
	}
}

func (c *claimEnv) claimReq(r store.ClaimRequest) []string {
	c.t.Helper()
	if r.Lease == 0 {
		r.Lease = c.lease
	}
	ms, err := c.s.ClaimQueued(c.ctx, r)
	if err != nil {
		c.t.Fatalf("ClaimQueued(%s): %v", r.Owner, err)
	}
	for _, m := range ms {
		if m.ClaimOwner != r.Owner || !m.ClaimUntil.Equal(r.Now.Add(r.Lease)) {
			c.t.Fatalf("claimed %s shows owner %q until %v, want %q until %v", m.ID, m.ClaimOwner, m.ClaimUntil,
				r.Owner, r.Now.Add(r.Lease))
		}
	}
	return queuedIDs(ms)
}

func (c *claimEnv) claim(owner string, at time.Time, limit int) []string {
	c.t.Helper()
	return c.claimReq(store.ClaimRequest{Owner: owner, Now: at, Limit: limit})
}

func (c *claimEnv) want(what string, got []string, want ...string) {
	c.t.Helper()
	if !slices.Equal(got, want) {
		c.t.Fatalf("%s: claimed %v, want %v", what, got, want)
	}
}

// testQueueClaims checks the leases of Queue.ClaimQueued: a message held
// by one owner is never handed to another while the lease is live, is
// taken over once it ran out (the old owner's renewal and release then
// fail and change nothing), renewals extend it, releases record the
// outcome and free it, and claims survive a restart.
func testQueueClaims(t *testing.T, b Backend) {
	c := newClaimEnv(t, b)
	c.enqueue("m1", "one.example")
	c.enqueue("m2", "two.example")
	c.want("A", c.claim("node-a", c.t0, 10), "m1", "m2")
	c.want("B while A's lease is live", c.claim("node-b", c.t0.Add(c.lease-time.Millisecond), 10))
	c.want("A again (it holds them already)", c.claim("node-a", c.t0, 10))
	c.reopen()
	c.want("B after a restart", c.claim("node-b", c.t0.Add(time.Second), 10))

	// A renews m1 only; m2's lease runs out and B takes it over.
	lost, err := c.s.RenewClaims(c.ctx, "node-a", []string{"m1"}, c.t0.Add(3*c.lease))
	if err != nil || len(lost) != 0 {
		t.Fatalf("RenewClaims = %v, %v", lost, err)
	}
	c.want("B after m2's lease ran out", c.claim("node-b", c.t0.Add(c.lease), 10), "m2")
	lost, err = c.s.RenewClaims(c.ctx, "node-a", []string{"m1", "m2"}, c.t0.Add(3*c.lease))
	if err != nil || !slices.Equal(lost, []string{"m2"}) {
		t.Fatalf("A's renewal after the takeover: lost %v, %v; want m2", lost, err)
	}
	done := store.QueueChange{Rcpts: []store.QueuedRcpt{{Index: 0, State: store.RcptDelivered, Attempts: 1}}}
	wantKind(t, "A releases m2 taken over by B", c.s.ReleaseClaim(c.ctx, "m2", "node-a", done), store.KindModified)
	if m, err := c.s.QueuedMessage(c.ctx, "m2"); err != nil || m.Rcpts[0].State != store.RcptPending || m.ClaimOwner != "node-b" {
		t.Fatalf("m2 after A's refused release: %+v, %v", m, err)
	}
	c.want("C within the renewed and the new lease", c.claim("node-c", c.t0.Add(2*c.lease-time.Millisecond), 10))
	if err := c.s.ReleaseClaim(c.ctx, "m1", "node-a", done); err != nil {
		t.Fatalf("A releases m1 delivered: %v", err)
	}
	wantKind(t, "m1 delivered", func() error { _, err := c.s.QueuedMessage(c.ctx, "m1"); return err }(), store.KindNotFound)

	// A release without a change frees the message at once.
	if err := c.s.ReleaseClaim(c.ctx, "m2", "node-b", store.QueueChange{}); err != nil {
		t.Fatalf("B releases m2: %v", err)
	}
	if m, _ := c.s.QueuedMessage(c.ctx, "m2"); m.ClaimOwner != "" || !m.ClaimUntil.IsZero() {
		t.Fatalf("released m2 still shows a claim: %q until %v", m.ClaimOwner, m.ClaimUntil)
	}
	c.want("A after B's release", c.claim("node-a", c.t0.Add(time.Second), 10), "m2")

	// Deleting a claimed message: the owner learns it at renewal and release.
	if err := c.s.DeleteQueued(c.ctx, "m2"); err != nil {
		t.Fatalf("DeleteQueued of a claimed message: %v", err)
	}
	if lost, err := c.s.RenewClaims(c.ctx, "node-a", []string{"m2"}, c.t0.Add(c.lease)); err != nil || !slices.Equal(lost, []string{"m2"}) {
		t.Fatalf("renewal of a deleted message: lost %v, %v", lost, err)
	}
	wantKind(t, "release of a deleted message", c.s.ReleaseClaim(c.ctx, "m2", "node-a", done), store.KindNotFound)
	if list, _ := c.s.QueuedMessages(c.ctx); len(list) != 0 {
		t.Fatalf("queue after the deletion: %d messages", len(list))
	}

	// A message with a new and a due deferred recipient is claimed once.
	c.enqueue("m3", "one.example", "two.example")
	c.want("m3", c.claim("node-a", c.t0, 10), "m3")
	ch := store.QueueChange{Rcpts: []store.QueuedRcpt{{Index: 1, State: store.RcptDeferred, Attempts: 1, NextAttempt: c.t0}}}
	if err := c.s.ReleaseClaim(c.ctx, "m3", "node-a", ch); err != nil {
		t.Fatal(err)
	}
	c.want("m3 new and due", c.claim("node-a", c.t0, 10), "m3")
}

// testQueueClaimOrder checks what ClaimQueued picks: new mail before a
// backlog of deferred mail (oldest first, then earliest due), the limit,
// NewOnly, skipped domains, the claimer's held messages, and a retried
// message only once released.
func testQueueClaimOrder(t *testing.T, b Backend) {
	c := newClaimEnv(t, b)
	// Six deferred messages, due one second apart, queued first.
	for i := range 6 {
		id := fmt.Sprintf("d%d", i)
		c.enqueue(id, "slow.example")
		c.claim("node-a", c.t0, 1)
		ch := store.QueueChange{Rcpts: []store.QueuedRcpt{{Index: 0, State: store.RcptDeferred, Attempts: 1,
			NextAttempt: c.t0.Add(time.Duration(6-i) * time.Second)}}}
		if err := c.s.ReleaseClaim(c.ctx, id, "node-a", ch); err != nil {
			t.Fatal(err)
		}
	}
	c.enqueue("n1", "fast.example")
	c.enqueue("n2", "slow.example", "fast.example")
	c.enqueue("n3", "slow.example")
	c.want("a claimer busy with fast.example, before d3 is due",
		c.claimReq(store.ClaimRequest{Owner: "node-c", Now: c.t0.Add(2500 * time.Millisecond), Limit: 10, Skip: []string{"fast.example"}}),
		"n2", "n3", "d5", "d4")
	for _, id := range []string{"n2", "n3", "d5", "d4"} {
		if err := c.s.ReleaseClaim(c.ctx, id, "node-c", store.QueueChange{}); err != nil {
			t.Fatal(err)
		}
	}
	later := c.t0.Add(time.Minute) // every deferred message is due
	c.want("limit 2", c.claim("node-a", later, 2), "n1", "n2")
	c.want("new only", c.claimReq(store.ClaimRequest{Owner: "node-a", Now: later, Limit: 10, NewOnly: true}), "n3")
	c.want("deferred, earliest due first", c.claim("node-a", later, 3), "d5", "d4", "d3")
	// node-a's leases have run out.
	expired := later.Add(2 * c.lease)
	c.want("a claimer busy with slow.example",
		c.claimReq(store.ClaimRequest{Owner: "node-b", Now: expired, Limit: 10, Skip: []string{"slow.example"}}), "n1", "n2")
	c.want("the rest", c.claim("node-c", expired, 10), "n3", "d5", "d4", "d3", "d2", "d1", "d0")

	// Retrying a claimed message: its claimer keeps it until it releases it.
	if n, err := c.s.RetryQueued(c.ctx, "d0", c.t0); err != nil || n != 1 {
		t.Fatalf("RetryQueued(d0) = %d, %v", n, err)
	}
	c.want("d0 retried while claimed", c.claim("node-d", expired, 10))
	wantKind(t, "release by another owner", c.s.ReleaseClaim(c.ctx, "d0", "node-a", store.QueueChange{}), store.KindModified)
	if err := c.s.ReleaseClaim(c.ctx, "d0", "node-c", store.QueueChange{}); err != nil {
		t.Fatal(err)
	}
	c.want("d0 retried and released", c.claim("node-d", expired, 10), "d0")
	c.want("all leases run out, but some held by the claimer", c.claimReq(store.ClaimRequest{Owner: "node-c",
		Now: expired.Add(2 * c.lease), Limit: 10, Held: []string{"d1", "d3", "n3"}}), "n1", "n2", "d0", "d5", "d4", "d2")
	if _, err := c.s.ClaimQueued(c.ctx, store.ClaimRequest{Now: c.t0, Lease: time.Minute, Limit: 1}); !store.IsKind(err, store.KindInvalid) {
		t.Fatalf("claim without an owner: %v", err)
	}
}

// testQueueHeld checks held messages (NewQueued.Held): their recipients
// are RcptHeld, never claimed (so never tried, nor expired), counted,
// and kept across a release of another claim; RetryQueued of the message
// releases them to RcptPending, and then they are claimed as new mail.
func testQueueHeld(t *testing.T, b Backend) {
	c := newClaimEnv(t, b)
	nq := store.NewQueued{ID: "h1", From: "a@example.org", Arrived: c.t0, Held: true, Body: bytes.NewReader(msg("h1", 200)),
		Rcpts: []store.QueuedRcpt{{Addr: "u@x.example", Domain: "x.example"}, {Addr: "v@y.example", Domain: "y.example"}}}
	q, err := c.s.Enqueue(c.ctx, nq)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range q.Rcpts {
		if r.State != store.RcptHeld {
			t.Fatalf("Enqueue returned %s as %v, want held", r.Addr, r.State)
		}
	}
	c.enqueue("n1", "x.example")
	far := c.t0.Add(365 * 24 * time.Hour)
	c.want("held mail is never claimed", c.claim("node-a", far, 10), "n1")
	m, err := c.s.QueuedMessage(c.ctx, "h1")
	if err != nil || len(m.Rcpts) != 2 || m.Rcpts[0].State != store.RcptHeld || m.Rcpts[1].State != store.RcptHeld {
		t.Fatalf("QueuedMessage(h1) = %+v, %v; want both recipients held", m.Rcpts, err)
	}
	counts, err := c.s.QueueCounts(c.ctx)
	if err != nil || counts[store.RcptHeld] != 2 {
		t.Fatalf("QueueCounts = %v, %v; want 2 held", counts, err)
	}
	// Another message's attempt does not touch it; a release of all
	// deferred mail (id "") releases it too.
	if err := c.s.ReleaseClaim(c.ctx, "n1", "node-a", store.QueueChange{}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.s.RetryQueued(c.ctx, "h1", c.t0); err != nil || n != 2 {
		t.Fatalf("RetryQueued(h1) = %d, %v; want 2 released", n, err)
	}
	c.want("released, as new mail (oldest first)", c.claimReq(store.ClaimRequest{Owner: "node-b", Now: far, Limit: 10, NewOnly: true}), "h1", "n1")
	m, err = c.s.QueuedMessage(c.ctx, "h1")
	if err != nil || m.Rcpts[0].State != store.RcptPending {
		t.Fatalf("after the release: %+v, %v; want pending", m.Rcpts, err)
	}
}
