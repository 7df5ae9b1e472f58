package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/testkit"
)

// tarpit is a destination that never decides while the attempt lasts
// (a server answering just before each timeout): it returns only when
// the attempt's context ends, as smtpclient does, without results.
type tarpit struct{ waited chan time.Duration }

func (p tarpit) Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result {
	start := time.Now()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
	}
	p.waited <- time.Since(start)
	return nil
}

// delivery.attempt_timeout ends an attempt that the destination drags
// out: the recipient gets a temporary failure and a retry, and the
// delivery slot is free again.
func TestAttemptTimeout(t *testing.T) {
	f := newFixture(t)
	p := tarpit{waited: make(chan time.Duration, 1)}
	f.svc = New(Config{Hostname: "mail.example.org", Retry: []time.Duration{5 * time.Minute}, AttemptTimeout: 200 * time.Millisecond},
		Deps{Store: f.st, Sender: p, Now: f.clk.Now, Log: testkit.JSONLogger(f.logs)})
	id := f.enqueue("alice@example.org", nil, "bob@remote.example")
	f.step()
	if d := <-p.waited; d > 5*time.Second {
		t.Fatalf("the attempt lasted %v, want it ended at the 200ms attempt timeout", d)
	}
	if got := f.states(id); got != "deferred" {
		t.Fatalf("after the timed-out attempt: %s, want deferred (retried later)", got)
	}
	m, err := f.st.QueuedMessage(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rc := m.Rcpts[0]; !strings.HasPrefix(rc.LastError, "451 4.4.1") {
		t.Errorf("last error %q, want the 451 4.4.1 of an attempt without an answer", rc.LastError)
	}
}
