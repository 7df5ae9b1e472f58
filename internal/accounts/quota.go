package accounts

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// Quota returns the quota limits and usage of the account that owns address
// (RFC 9208 STORAGE and MESSAGE resources; 0 = unlimited).
func (s *Service) Quota(ctx context.Context, address string) (store.Quota, error) {
	acct, _, err := s.account(ctx, "quota", address)
	if err != nil {
		return store.Quota{}, err
	}
	return acct.Quota, nil
}

// SetQuota sets the limits of the account that owns address; 0 means
// unlimited. Mail already stored is kept when a limit goes below the usage.
func (s *Service) SetQuota(ctx context.Context, address string, maxBytes, maxMessages int64) error {
	const op = "set quota"
	if maxBytes < 0 || maxMessages < 0 {
		return store.Errorf(store.KindInvalid, op, "quota limits must not be negative")
	}
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return err
	}
	return store.Wrap(store.KindInternal, op, s.dir.SetQuota(ctx, acct.ID, maxBytes, maxMessages))
}
