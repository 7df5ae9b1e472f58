package ops

import (
	"context"
	"errors"
)

// UnlockResult says what there was to forget.
type UnlockResult struct {
	Account bool // the account had failed logins
	Client  bool // the client address had failed logins or a block
}

// Unlocker forgets failed logins where they are kept: the CLI asks the
// running server through its control socket (admin.Unlock, KindUnavailable
// when none answers), an API inside the server asks the throttle itself.
type Unlocker interface {
	Unlock(ctx context.Context, account, client string) (UnlockResult, error)
}

// Logins manages the login throttling (docs/configuration.md §Login
// throttling).
type Logins struct {
	u Unlocker
}

// NewLogins returns the login operations on u.
func NewLogins(u Unlocker) *Logins { return &Logins{u: u} }

// Unlock forgets the failed logins of account and, when client (an IP
// address) is not "", those and the block of client, so that the owner is
// no longer slowed.
func (l *Logins) Unlock(ctx context.Context, account, client string) (UnlockResult, error) {
	if account == "" {
		return UnlockResult{}, invalid("account", errors.New("an account address is required"))
	}
	res, err := l.u.Unlock(ctx, account, client)
	return res, wrap(err)
}
