package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fakeMX records what every runner delivers, by recipient. Recipients in
// deferOnce get a 451 at their first attempt; hold makes every attempt
// take that long (or until its context ends).
type fakeMX struct {
	mu        sync.Mutex
	attempts  map[string]int // by recipient
	accepted  map[string]int // by recipient
	byRunner  map[string]int // accepted, by Outbound sender's runner tag
	deferOnce map[string]bool
	hold      time.Duration
	started   chan struct{} // gets a value at each attempt, when not nil
	canceled  chan struct{} // gets a value when an attempt's context ended, when not nil
}

func newFakeMX() *fakeMX {
	return &fakeMX{attempts: map[string]int{}, accepted: map[string]int{}, byRunner: map[string]int{}, deferOnce: map[string]bool{}}
}

// tagged tells the fake MX which runner sends.
type tagged struct {
	mx  *fakeMX
	tag string
}

func (s tagged) Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result {
	mx := s.mx
	if mx.started != nil {
		mx.started <- struct{}{}
	}
	select {
	case <-time.After(mx.hold):
	case <-ctx.Done():
		if mx.canceled != nil {
			mx.canceled <- struct{}{}
		}
		return nil
	}
	mx.mu.Lock()
	defer mx.mu.Unlock()
	var out []smtpclient.Result
	for _, r := range m.Rcpts {
		mx.attempts[r.Addr]++
		rep := smtpreply.OK("queued")
		if mx.deferOnce[r.Addr] && mx.attempts[r.Addr] == 1 {
			rep = smtpreply.New(451, smtpreply.Enhanced{4, 3, 0}, "later")
		} else {
			mx.accepted[r.Addr]++
			mx.byRunner[s.tag]++
		}
		out = append(out, smtpclient.Result{Rcpt: r.Addr, Reply: rep, RemoteMTA: "mx." + domain})
	}
	return out
}

// runService starts a Service on st sending to mx until the test ends or
// stop is called.
func runService(t *testing.T, st *sqlite.Store, mx *fakeMX, tag string, cfg Config) (svc *Service, stop func()) {
	cfg.Hostname = "h.example"
	svc = New(cfg, Deps{Store: st, Sender: tagged{mx, tag}, Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return svc, stop
}

// waitEmpty waits until the queue is empty.
func waitEmpty(t *testing.T, st *sqlite.Store, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		list, err := st.QueuedMessages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued after %v", len(list), within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func enqueueTo(t *testing.T, svc *Service, rcpts ...string) {
	t.Helper()
	f := &fixture{t: t, svc: svc, ctx: context.Background()}
	f.enqueue("a@example.org", []string{"NEVER"}, rcpts...)
}

// Two runners on one store, as two nodes on one database: every recipient
// is accepted exactly once, also the deferred ones retried by whichever
// runner claims them, and both runners take part.
func TestTwoRunnersDeliverOnce(t *testing.T) {
	st := testkit.NewStore(t)
	mx := newFakeMX()
	mx.hold = 2 * time.Millisecond
	cfg := Config{MaxActive: 4, MaxPerDomain: 2, Poll: 20 * time.Millisecond, Retry: []time.Duration{30 * time.Millisecond}}
	a, _ := runService(t, st, mx, "a", cfg)
	b, _ := runService(t, st, mx, "b", cfg)
	svcs := []*Service{a, b}
	if svcs[0].cfg.Owner == svcs[1].cfg.Owner {
		t.Fatalf("two services share the owner %q", svcs[0].cfg.Owner)
	}
	const n = 120
	var msgs [][]string
	mx.mu.Lock()
	for i := range n {
		rcpts := []string{fmt.Sprintf("u%d@d%d.example", i, i%5)}
		if i%4 == 0 {
			rcpts = append(rcpts, fmt.Sprintf("v%d@d%d.example", i, (i+1)%5))
		}
		if i%10 == 0 {
			mx.deferOnce[rcpts[0]] = true
		}
		msgs = append(msgs, rcpts)
	}
	mx.mu.Unlock()
	for i, rcpts := range msgs {
		enqueueTo(t, svcs[i%2], rcpts...)
	}
	waitEmpty(t, st, 30*time.Second)
	mx.mu.Lock()
	defer mx.mu.Unlock()
	for _, rcpts := range msgs {
		for _, r := range rcpts {
			if mx.accepted[r] != 1 {
				t.Errorf("%s accepted %d times, want once", r, mx.accepted[r])
			}
			if want := map[bool]int{true: 2, false: 1}[mx.deferOnce[r]]; mx.attempts[r] != want {
				t.Errorf("%s tried %d times, want %d", r, mx.attempts[r], want)
			}
		}
	}
	if mx.byRunner["a"] == 0 || mx.byRunner["b"] == 0 {
		t.Errorf("deliveries by runner: %v; want both at work", mx.byRunner)
	}
	t.Logf("deliveries by runner: %v", mx.byRunner)
}

// An attempt that outlasts the lease keeps its claim (the runner renews
// it), so the other runner never sends the message too.
func TestRunRenewsLongAttempts(t *testing.T) {
	st := testkit.NewStore(t)
	mx := newFakeMX()
	mx.hold = 1500 * time.Millisecond
	mx.started = make(chan struct{}, 10)
	cfg := Config{Poll: 20 * time.Millisecond, Lease: 400 * time.Millisecond}
	a, _ := runService(t, st, mx, "a", cfg)
	enqueueTo(t, a, "slow@d.example")
	<-mx.started
	runService(t, st, mx, "b", cfg)
	waitEmpty(t, st, 20*time.Second)
	mx.mu.Lock()
	defer mx.mu.Unlock()
	if mx.attempts["slow@d.example"] != 1 || mx.byRunner["a"] != 1 {
		t.Fatalf("attempts %v by %v; want one, by the runner that claimed it", mx.attempts, mx.byRunner)
	}
}

// stuckAttempt starts a runner whose attempt of one message hangs, and
// returns the message once the attempt has begun. A stopped attempt would
// expire the message (MaxQueueTime 1 ms) and bounce it.
func stuckAttempt(t *testing.T, st *sqlite.Store) (mx *fakeMX, svc *Service, stop func(), m store.QueuedMessage) {
	mx = newFakeMX()
	mx.hold = time.Minute
	mx.started = make(chan struct{}, 1)
	mx.canceled = make(chan struct{}, 1)
	svc, stop = runService(t, st, mx, "a", Config{Poll: 20 * time.Millisecond, Lease: 400 * time.Millisecond,
		MaxQueueTime: time.Millisecond})
	f := &fixture{t: t, svc: svc, ctx: context.Background()}
	f.enqueue("a@example.org", nil, "stuck@d.example")
	<-mx.started
	list, err := st.QueuedMessages(context.Background())
	if err != nil || len(list) != 1 || list[0].ClaimOwner != svc.cfg.Owner {
		t.Fatalf("queue while sending: %+v, %v", list, err)
	}
	return mx, svc, stop, list[0]
}

func waitCanceled(t *testing.T, mx *fakeMX) {
	t.Helper()
	select {
	case <-mx.canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("the attempt went on after its claim was lost")
	}
}

// A runner that stalled past its lease and lost the message to another
// stops its attempt at its next renewal, and records and reports nothing
// of it: the new owner's attempt counts.
func TestTakenOverAttemptStops(t *testing.T) {
	st := testkit.NewStore(t)
	mx, _, stop, m := stuckAttempt(t, st)
	ms, err := st.ClaimQueued(context.Background(), store.ClaimRequest{Owner: "node-b", Now: time.Now().Add(time.Hour),
		Lease: time.Hour, Limit: 10})
	if err != nil || len(ms) != 1 {
		t.Fatalf("takeover: %v, %v", ms, err)
	}
	waitCanceled(t, mx)
	stop()
	list, err := st.QueuedMessages(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("queue after the takeover: %+v, %v; want the message alone (no bounce)", list, err)
	}
	if got := list[0]; got.ID != m.ID || got.ClaimOwner != "node-b" || got.Rcpts[0].State != store.RcptPending || got.Rcpts[0].Attempts != 0 {
		t.Fatalf("message after the takeover: %+v", got)
	}
}

// Deleting a message while it is being sent (`petrel queue delete`) stops
// the attempt at the next renewal of its claim, and nothing comes back.
func TestDeleteClaimedStopsAttempt(t *testing.T) {
	st := testkit.NewStore(t)
	mx, _, stop, m := stuckAttempt(t, st)
	if err := st.DeleteQueued(context.Background(), m.ID); err != nil {
		t.Fatal(err)
	}
	waitCanceled(t, mx)
	stop()
	if left, _ := st.QueuedMessages(context.Background()); len(left) != 0 {
		t.Fatalf("a deleted message came back: %+v", left)
	}
}

// The claims of a process that died hold its messages until their leases
// run out; then another runner sends them, once.
func TestDeadRunnersClaimsExpire(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue("alice@example.org", nil, "bob@remote.example")
	ms, err := f.st.ClaimQueued(f.ctx, store.ClaimRequest{Owner: "dead", Now: f.clk.Now(), Lease: DefaultLease, Limit: 10})
	if err != nil || len(ms) != 1 {
		t.Fatalf("claim as the dead runner: %v, %v", ms, err)
	}
	f.step()
	f.clk.Add(DefaultLease - time.Second)
	f.step()
	if len(f.snd.calls) != 0 {
		t.Fatalf("sent while the dead runner's lease was live: %v", f.snd.calls)
	}
	f.clk.Add(time.Second)
	f.step()
	f.step()
	if got := f.states(id); got != "gone" || len(f.snd.calls) != 1 {
		t.Fatalf("after the lease ran out: %s, calls %v", got, f.snd.calls)
	}
}
