package ops

import (
	"context"
	"errors"
	"testing"
)

// fakeUnlocker records its calls and answers with res and err.
type fakeUnlocker struct {
	calls []string
	res   UnlockResult
	err   error
}

func (f *fakeUnlocker) Unlock(_ context.Context, account, client string) (UnlockResult, error) {
	f.calls = append(f.calls, account+" "+client)
	return f.res, f.err
}

func TestUnlock(t *testing.T) {
	ctx := context.Background()
	u := &fakeUnlocker{res: UnlockResult{Account: true}}
	l := NewLogins(u)
	if res, err := l.Unlock(ctx, "bob@example.org", "192.0.2.1"); err != nil || res != u.res {
		t.Errorf("Unlock = %+v, %v", res, err)
	}
	_, err := l.Unlock(ctx, "", "192.0.2.1")
	wantKind(t, "no account", err, KindInvalid)
	if len(u.calls) != 1 || u.calls[0] != "bob@example.org 192.0.2.1" {
		t.Errorf("calls %q, want one for bob", u.calls)
	}
	u.err = Unavailable(errors.New("no running server answers on the control socket"))
	_, err = l.Unlock(ctx, "bob@example.org", "")
	wantKind(t, "no server", err, KindUnavailable)
	if err == nil || err.Error() != "no running server answers on the control socket" {
		t.Errorf("message %q", err)
	}
	u.err = errors.New("the server refused: client: not an IP address")
	_, err = l.Unlock(ctx, "bob@example.org", "x")
	wantKind(t, "refused", err, KindInternal)
}
