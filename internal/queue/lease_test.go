package queue

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// renewFails is a store whose lease renewals fail at once (a store busy
// or unreachable for this node only).
type renewFails struct{ *sqlite.Store }

func (renewFails) RenewClaims(context.Context, string, []string, time.Time) ([]string, error) {
	return nil, store.Wrap(store.KindTemporary, "renew claims", errors.New("database is locked"))
}

// renewHangs is a store whose lease renewals never answer: they end only
// with their context.
type renewHangs struct{ *sqlite.Store }

func (renewHangs) RenewClaims(ctx context.Context, _ string, _ []string, _ time.Time) ([]string, error) {
	<-ctx.Done()
	return nil, store.Wrap(store.KindTemporary, "renew claims", ctx.Err())
}

// startRunner runs a Service on st (possibly wrapped) sending to mx as
// runner tag until the test ends.
func startRunner(t *testing.T, st Store, mx *fakeMX, tag string, cfg Config) *Service {
	cfg.Hostname = "h.example"
	svc := New(cfg, Deps{Store: st, Sender: tagged{mx, tag}, Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

// A runner whose renewals fail stops its attempt before its lease runs
// out, records nothing of it, and the runner that takes the message over
// sends it: the recipient gets it once.
func TestFailingRenewalsStopAttemptBeforeTakeover(t *testing.T) {
	st := testkit.NewStore(t)
	mx := newFakeMX()
	mx.hold = 1500 * time.Millisecond
	mx.started = make(chan struct{}, 100)
	cfg := Config{Poll: 20 * time.Millisecond, Lease: 400 * time.Millisecond}
	a := startRunner(t, renewFails{st}, mx, "a", cfg)
	enqueueTo(t, a, "x@remote.example")
	<-mx.started
	startRunner(t, st, mx, "b", cfg)
	waitEmpty(t, st, 20*time.Second)
	time.Sleep(mx.hold + 500*time.Millisecond) // an attempt of a that went on would end now
	mx.mu.Lock()
	defer mx.mu.Unlock()
	if mx.accepted["x@remote.example"] != 1 || mx.byRunner["a"] != 0 || mx.byRunner["b"] != 1 {
		t.Fatalf("accepted %v times, by runner %v; want once, by b", mx.accepted, mx.byRunner)
	}
}

// A renewal that hangs is cut off, so the runner goes on claiming and
// sending new mail meanwhile (the attempts end well before the safety
// margin of their leases).
func TestHangingRenewalDoesNotStallRunner(t *testing.T) {
	st := testkit.NewStore(t)
	mx := newFakeMX()
	mx.hold = 700 * time.Millisecond
	mx.started = make(chan struct{}, 100)
	a := startRunner(t, renewHangs{st}, mx, "a", Config{Poll: time.Hour, Lease: 2 * time.Second})
	enqueueTo(t, a, "first@remote.example")
	<-mx.started
	// The first renewal (at Lease/4) begins while the first attempt runs.
	time.Sleep(600 * time.Millisecond)
	enqueueTo(t, a, "second@remote.example")
	waitEmpty(t, st, 10*time.Second)
	mx.mu.Lock()
	defer mx.mu.Unlock()
	if mx.accepted["first@remote.example"] != 1 || mx.accepted["second@remote.example"] != 1 {
		t.Fatalf("accepted %v; want each once", mx.accepted)
	}
}

// takeOver is a sender that answers 550 after another runner took the
// message over (this runner's lease ran out while it stalled, unnoticed
// yet): the stale runner must not send a report of it.
type takeOver struct{ st *sqlite.Store }

func (s takeOver) Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result {
	if _, err := s.st.ClaimQueued(ctx, store.ClaimRequest{Owner: "node-b", Now: time.Now().Add(24 * time.Hour),
		Lease: time.Hour, Limit: 10}); err != nil {
		panic(err)
	}
	var out []smtpclient.Result
	for _, r := range m.Rcpts {
		out = append(out, smtpclient.Result{Rcpt: r.Addr, Reply: smtpreply.New(550, smtpreply.Enhanced{5, 1, 1}, "no such user")})
	}
	return out
}

// A runner that lost its claim while sending sends no report (the new
// owner's attempt reports) and records nothing.
func TestNoReportAfterClaimLost(t *testing.T) {
	f := newFixture(t)
	f.svc.d.Sender = takeOver{f.st}
	id := f.enqueue("alice@example.org", []string{"FAILURE"}, "bob@remote.example")
	f.step()
	if len(f.local) != 0 {
		t.Fatalf("the runner that lost its claim sent a report: %v", f.local)
	}
	m, err := f.st.QueuedMessage(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.ClaimOwner != "node-b" || m.Rcpts[0].State != store.RcptPending || m.Rcpts[0].Attempts != 0 {
		t.Fatalf("message after the takeover: %+v", m)
	}
	if list, _ := f.st.QueuedMessages(f.ctx); len(list) != 1 {
		t.Fatalf("queue: %+v; want the message alone (no report queued)", list)
	}
}
