package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/testkit"
)

// slowSender is a sender that takes a while and counts the attempts in
// flight per domain.
type slowSender struct {
	inner    *sender
	mu       sync.Mutex
	inFlight map[string]int
	maxSeen  map[string]int
}

func (s *slowSender) Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result {
	s.mu.Lock()
	s.inFlight[domain]++
	s.maxSeen[domain] = max(s.maxSeen[domain], s.inFlight[domain])
	s.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	defer func() {
		s.mu.Lock()
		s.inFlight[domain]--
		s.mu.Unlock()
	}()
	return s.inner.Send(ctx, domain, m)
}

// The runner keeps going on new mail without waiting for its poll, also
// when messages must wait for a domain's slot, and keeps the limits.
func TestRunDeliversWithoutPolling(t *testing.T) {
	f := newFixture(t)
	snd := &slowSender{inner: f.snd, inFlight: map[string]int{}, maxSeen: map[string]int{}}
	st := testkit.NewStore(t)
	f.svc = New(Config{Hostname: "h.example", MaxActive: 3, MaxPerDomain: 2, Poll: time.Hour},
		Deps{Store: st, Sender: snd, Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	const n = 60
	for i := range n {
		rcpts := []string{fmt.Sprintf("u%d@d%d.example", i, i%3)}
		if i%10 == 0 {
			rcpts = append(rcpts, fmt.Sprintf("v%d@d%d.example", i, (i+1)%3))
		}
		f.enqueue("a@example.org", nil, rcpts...)
	}
	// Poll is an hour: only the runner's wake-ups can empty the queue.
	waitEmpty(t, st, 20*time.Second)
	snd.mu.Lock()
	defer snd.mu.Unlock()
	for d, m := range snd.maxSeen {
		if m > 2 {
			t.Errorf("%d attempts at once to %s, over MaxPerDomain 2", m, d)
		}
	}
	if got := len(f.snd.calls); got != n+n/10 {
		t.Errorf("%d attempts, want %d", got, n+n/10)
	}
}
