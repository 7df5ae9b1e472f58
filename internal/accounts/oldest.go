package accounts

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// OldestAccount returns the primary address of the account created
// first (the lowest ID), or a KindNotFound error when there is none.
// Delivery sends postmaster mail there when no postmaster address exists
// (README "SMTP": postmaster).
func (s *Service) OldestAccount(ctx context.Context) (string, error) {
	const op = "oldest account"
	accts, err := s.dir.Accounts(ctx)
	if err != nil {
		return "", store.Wrap(store.KindInternal, op, err)
	}
	if len(accts) == 0 {
		return "", store.Errorf(store.KindNotFound, op, "no accounts")
	}
	first := accts[0]
	for _, a := range accts[1:] {
		if a.ID < first.ID {
			first = a
		}
	}
	return first.Address, nil
}
