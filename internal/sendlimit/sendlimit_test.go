package sendlimit

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/testkit"
)

func newLimiter(t *testing.T, cfg Limits) (*Limiter, *testkit.Clock, *prometheus.Registry) {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 12, 6, 10, 3, 0, 0, time.UTC))
	reg := prometheus.NewRegistry()
	return New(cfg, testkit.NewStore(t), clock.Now, nil, reg), clock, reg
}

// send is one transaction of account with rcpts recipients, checked as
// smtpd does (MAIL, then each RCPT); it reports whether it went through.
func send(l *Limiter, account string, rcpts int) bool {
	ctx := context.Background()
	if r := l.Check(ctx, account, 0); r != nil {
		return false
	}
	for i := 1; i <= rcpts; i++ {
		if r := l.Check(ctx, account, i); r != nil {
			return false
		}
	}
	l.Record(ctx, account, rcpts)
	return true
}

// TestMessagesPerHourSlides: the (N+1)th message in an hour is refused
// with 451 4.7.1, another account is not, and the window slides: an hour
// and ten minutes later the account sends again, until the day limit.
func TestMessagesPerHourSlides(t *testing.T) {
	l, clock, reg := newLimiter(t, Limits{MessagesPerHour: 3, MessagesPerDay: 5})
	for i := range 3 {
		if !send(l, "alice@example.org", 1) {
			t.Fatalf("message %d refused", i+1)
		}
		clock.Add(time.Minute)
	}
	r := l.Check(context.Background(), "Alice@example.org", 0)
	if r == nil || r.Code != 451 || r.Enhanced.String() != "4.7.1" {
		t.Fatalf("4th message in the hour: %v, want 451 4.7.1", r)
	}
	if !send(l, "bob@example.org", 1) {
		t.Fatal("another account refused")
	}
	clock.Add(50 * time.Minute) // 53 minutes after the first: still in the hour
	if send(l, "alice@example.org", 1) {
		t.Fatal("sent again within the hour")
	}
	clock.Add(20 * time.Minute)
	for i := range 2 {
		if !send(l, "alice@example.org", 1) {
			t.Fatalf("after the hour, message %d refused", i+1)
		}
	}
	clock.Add(2 * time.Hour)
	if send(l, "alice@example.org", 1) {
		t.Fatal("6th message of the day went through")
	}
	clock.Add(23 * time.Hour)
	if !send(l, "alice@example.org", 1) {
		t.Fatal("a day later: refused")
	}
	got := testkit.Gather(t, reg)
	if got[`petrel_submission_send_limit_refusals_total{limit=messages_per_hour}`] != 2 ||
		got[`petrel_submission_send_limit_refusals_total{limit=messages_per_day}`] != 1 {
		t.Errorf("metrics %v", got)
	}
}

// TestRecipientsPerHour: recipients add up across messages; the RCPT
// over the limit is refused.
func TestRecipientsPerHour(t *testing.T) {
	l, _, _ := newLimiter(t, Limits{RecipientsPerHour: 5})
	if !send(l, "alice@example.org", 3) {
		t.Fatal("3 recipients refused")
	}
	ctx := context.Background()
	if r := l.Check(ctx, "alice@example.org", 2); r != nil {
		t.Fatalf("recipients 4 and 5: %v", r)
	}
	if r := l.Check(ctx, "alice@example.org", 3); r == nil || r.Code != 451 {
		t.Fatalf("6th recipient: %v, want 451", r)
	}
	l.Record(ctx, "alice@example.org", 2)
	if r := l.Check(ctx, "alice@example.org", 0); r == nil {
		t.Fatal("MAIL with the recipients used up: accepted")
	}
}

// TestOverride: an account's override replaces the configured limits it
// names, and removing it brings them back.
func TestOverride(t *testing.T) {
	l, _, _ := newLimiter(t, Limits{MessagesPerHour: 1, RecipientsPerDay: 10})
	ctx := context.Background()
	five := 5
	if err := l.SetOverride(ctx, "Alice@Example.org", Override{MessagesPerHour: &five}); err != nil {
		t.Fatal(err)
	}
	if lim, err := l.Limits(ctx, "alice@example.org"); err != nil || lim != (Limits{MessagesPerHour: 5, RecipientsPerDay: 10}) {
		t.Fatalf("limits %+v %v", lim, err)
	}
	for i := range 5 {
		if !send(l, "alice@example.org", 1) {
			t.Fatalf("message %d refused under the override", i+1)
		}
	}
	if send(l, "alice@example.org", 1) || !send(l, "bob@example.org", 1) || send(l, "bob@example.org", 1) {
		t.Fatal("limits: alice's 6th sent, or bob not at the configured 1")
	}
	if err := l.SetOverride(ctx, "alice@example.org", Override{}); err != nil {
		t.Fatal(err)
	}
	if lim, _ := l.Limits(ctx, "alice@example.org"); lim.MessagesPerHour != 1 {
		t.Fatalf("override removed: %+v", lim)
	}
}

// TestNoLimitsNoCounting: without limits nothing is refused or stored.
func TestNoLimitsNoCounting(t *testing.T) {
	l, _, _ := newLimiter(t, Limits{})
	for range 20 {
		if !send(l, "alice@example.org", 50) {
			t.Fatal("refused without limits")
		}
	}
	if keys, err := l.kv.KVList(context.Background(), countPrefix); err != nil || len(keys) != 0 {
		t.Fatalf("counts stored: %v %v", keys, err)
	}
}
