package main

// The outbound queue shared by two `petrel serve` processes on one
// PostgreSQL database (README "Several nodes"): each message is tried by
// one node at a time, and a node killed during its attempts leaves them
// to the other once their leases run out.

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// submitMany submits count messages from alice@example.org to
// someone@remote.test, alternately through each of nodes, and returns
// their Message-IDs.
func submitMany(t *testing.T, count int, nodes ...*node) []string {
	t.Helper()
	to := []string{"someone@remote.test"}
	ids := make([]string, 0, count)
	for i := range count {
		msg := outMessage("alice@example.org", fmt.Sprintf("queued %d", i), to...)
		must(t, nodes[i%len(nodes)].submit("alice@example.org", to, msg))
		ids = append(ids, headerValue(msg, "Message-ID"))
	}
	return ids
}

// waitAll waits until the fake MX has a copy of each of ids.
func waitAll(t *testing.T, m *fakeMX, ids []string, timeout time.Duration) map[string]int {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		got := m.copies()
		missing := 0
		for _, id := range ids {
			if got[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages never reached the remote MX within %v", missing, len(ids), timeout)
		}
	}
}

// waitQueueEmpty waits until `petrel queue list` through n says the queue
// is empty.
func waitQueueEmpty(t *testing.T, n *node, timeout time.Duration) {
	t.Helper()
	var out string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if out = n.cli("", "queue", "list"); strings.Contains(out, "queue is empty") {
			return
		}
	}
	t.Fatalf("the queue is not empty after %v:\n%s", timeout, out)
}

// byNode counts the copies kept from each client.
func byNode(m *fakeMX) map[string]int {
	out := map[string]int{}
	for _, x := range m.kept() {
		out[x.helo]++
	}
	return out
}

// TestNodesQueueOnce: messages submitted through two nodes are delivered
// by the two runners, each exactly once.
func TestNodesQueueOnce(t *testing.T) {
	c, a, b := twoNodes(t, "2m", "alice@example.org")
	c.remote.setDelay(20 * time.Millisecond)
	const count = 40
	ids := submitMany(t, count, a, b)
	waitAll(t, c.remote, ids, 60*time.Second)
	waitQueueEmpty(t, b, 20*time.Second)
	time.Sleep(time.Second) // a second copy would come now
	got := c.remote.copies()
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("%s delivered %d times, want once", id, got[id])
		}
	}
	if len(got) != count {
		t.Errorf("the remote MX got %d distinct messages, want %d", len(got), count)
	}
	t.Logf("copies by node: %v", byNode(c.remote))
}

// TestNodesQueueTakeover: node A is killed with attempts in flight to a
// slow remote; node B delivers the messages A held once their leases
// (delivery.claim_lease, 4 s here) run out. Nothing is lost; a message is
// delivered twice only when A's attempt of it was in flight at the kill
// (the remote kept it, A never heard the reply).
func TestNodesQueueTakeover(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	c, a, b := twoNodes(t, "4s", "alice@example.org")
	c.remote.setDelay(3 * time.Second)
	const heloA, heloB = "mx-a.example.org", "mx-b.example.org"
	ids := submitMany(t, 30, a)
	for deadline := time.Now().Add(30 * time.Second); c.remote.open(heloA) < 5; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("node A has %d attempts in flight after 30 s, want 5", c.remote.open(heloA))
		}
	}
	time.Sleep(time.Second) // into the remote's delay after the data
	a.kill()
	killed := time.Now()
	// Attempts of A whose outcome A may not have heard of: begun before
	// the kill and not ended 200 ms before it.
	inFlight := c.remote.overlapping(heloA, killed, 200*time.Millisecond)
	waitAll(t, c.remote, ids, 90*time.Second)
	waitQueueEmpty(t, b, 30*time.Second)
	time.Sleep(time.Second)
	got := c.remote.copies()
	dups := 0
	for _, id := range ids {
		dups += got[id] - 1
	}
	// The takeover: node B's first attempt of a message node A was
	// attempting when it died.
	held := map[string]bool{}
	for _, x := range c.remote.kept() {
		if x.helo == heloA && x.start.Before(killed) && x.end.After(killed.Add(-200*time.Millisecond)) {
			held[x.id] = true
		}
	}
	var takeover time.Duration
	for _, x := range c.remote.kept() {
		if x.helo == heloB && held[x.id] && x.start.After(killed) {
			takeover = x.start.Sub(killed)
			break
		}
	}
	t.Logf("%d messages, %d attempts of node A in flight at the kill, %d duplicates; copies by node %v; "+
		"node B's first attempt of a message node A was attempting %v after the kill (lease 4 s, poll 3 s)", len(ids), inFlight, dups,
		byNode(c.remote), takeover)
	if dups > inFlight {
		t.Errorf("%d duplicates, more than the %d attempts in flight when node A died", dups, inFlight)
	}
	if takeover == 0 {
		t.Error("node B never attempted a message node A was attempting when it died")
	}
}
