package authguard

import (
	"context"
	"testing"
	"time"
)

func TestVerdictWait(t *testing.T) {
	if !(Verdict{}).Wait(context.Background()) {
		t.Error("no delay: Wait reported a cancellation")
	}
	if !(Verdict{Delay: time.Millisecond}).Wait(context.Background()) {
		t.Error("a delay that passed: Wait reported a cancellation")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if (Verdict{Delay: time.Hour}).Wait(ctx) {
		t.Error("a cancelled context: Wait waited out an hour's delay")
	}
}
