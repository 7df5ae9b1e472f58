package delivery

import (
	"context"
	"fmt"
	"testing"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// fakeLimiter refuses once max recipients are asked for, and records.
type fakeLimiter struct {
	max     int
	checks  []string
	records []string
}

func (l *fakeLimiter) Check(_ context.Context, account string, rcpts int) *smtpreply.Reply {
	l.checks = append(l.checks, fmt.Sprintf("%s:%d", account, rcpts))
	if rcpts > l.max {
		return smtpreply.SendLimitExceeded("recipients per hour")
	}
	return nil
}

func (l *fakeLimiter) Record(_ context.Context, account string, rcpts int) {
	l.records = append(l.records, fmt.Sprintf("%s:%d", account, rcpts))
}

// TestSendLimitHooks: MAIL asks with 0, each RCPT with the recipients it
// would make, a refusal is the limiter's reply, and a delivered message
// is recorded with its recipients; mail on the MX is not limited.
func TestSendLimitHooks(t *testing.T) {
	f := newFixture(t)
	l := &fakeLimiter{max: 2}
	f.svc.cfg.SendLimit = l
	env := submitted(t)
	if r := f.svc.CheckSender(f.ctx, env); r != nil {
		t.Fatalf("MAIL: %v", r)
	}
	for i, a := range []string{"bob@example.org", "postmaster@example.org", "team@example.org"} {
		r := f.svc.CheckRecipient(f.ctx, env, rcpt(t, a))
		if i < 2 && r != nil {
			t.Fatalf("RCPT %s: %v", a, r)
		}
		if i == 2 && (r == nil || r.Code != 451 || r.Enhanced.String() != "4.7.1") {
			t.Fatalf("3rd RCPT: %v, want 451 4.7.1", r)
		}
		if r == nil {
			env.Recipients = append(env.Recipients, rcpt(t, a))
		}
	}
	if rs := f.submit(env, fromAlice+"Subject: hi\r\n\r\nHello.\r\n"); rs[0] != nil || rs[1] != nil {
		t.Fatalf("replies %v", rs)
	}
	want := "[alice@example.org:0 alice@example.org:1 alice@example.org:2 alice@example.org:3]"
	if got := fmt.Sprint(l.checks); got != want {
		t.Errorf("checks %s, want %s", got, want)
	}
	if got := fmt.Sprint(l.records); got != "[alice@example.org:2]" {
		t.Errorf("records %s", got)
	}
	mxEnv := mx(t)
	if r := f.svc.CheckSender(f.ctx, mxEnv); r != nil || len(l.checks) != 4 {
		t.Errorf("MX: %v, checks %v", r, l.checks)
	}
}
