package delivery

import (
	"context"
	"sync/atomic"
)

// MaxPolicySends bounds the forwarded copies and the local deliveries of
// policy messages that one inbound message causes, its nested deliveries
// included (a redirect to an account whose script redirects again): past
// it a forwarded copy is not sent, and one that replaced the keep is kept
// (README "Forwarding and SRS"). The loop check stops cycles; this stops
// the fan-out of scripts that each redirect to several others, where
// every level holds the message in memory.
const MaxPolicySends = 32

// sendBudget is what is left of MaxPolicySends for one inbound message,
// shared by its nested deliveries through the context.
type sendBudget struct{ left atomic.Int32 }

type sendBudgetKey struct{}

// withSendBudget gives ctx a budget unless it has one already (a nested
// delivery shares its inbound message's).
func withSendBudget(ctx context.Context) context.Context {
	if _, ok := ctx.Value(sendBudgetKey{}).(*sendBudget); ok {
		return ctx
	}
	b := &sendBudget{}
	b.left.Store(MaxPolicySends)
	return context.WithValue(ctx, sendBudgetKey{}, b)
}

// spendSend takes one send from ctx's budget: false when none is left.
func spendSend(ctx context.Context) bool {
	b, ok := ctx.Value(sendBudgetKey{}).(*sendBudget)
	return !ok || b.left.Add(-1) >= 0
}
