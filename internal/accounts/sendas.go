package accounts

import (
	"context"
	"errors"
	"slices"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// MaySendAs reports whether the account that has the address account (as
// Authenticate returns it: store.Account.Address) may use address as its
// envelope sender or in the From: field of a message it submits (RFC 6409
// §6.1 lets a submission server refuse senders the user is not allowed to
// use). It may send as:
//
//   - its own addresses, primary and extra, with or without a subaddress
//     tag (user+tag);
//   - an alias (with or without a tag) whose expansion reaches the account,
//     e.g. a team address it receives mail for.
//
// A domain's catch-all alias does not count: it would let its target send
// as every unassigned name of the domain. Anything else, unparseable
// addresses and other domains included, is false without error; errors are
// directory failures.
func (s *Service) MaySendAs(ctx context.Context, account, address string) (bool, error) {
	const op = "check sender"
	id, ok, err := s.lookupUser(ctx, account)
	if err != nil || !ok {
		return false, store.Wrap(store.KindInternal, op, err)
	}
	a, err := mailaddr.Parse(address)
	if err == nil {
		a, err = mailaddr.Canonical(a)
	}
	if err != nil || a.IsLiteral() {
		return false, nil
	}
	keys := []string{a.String()}
	if base, _ := mailaddr.SplitSubaddress(a.Local, s.sep); base != a.Local {
		keys = append(keys, mailaddr.Address{Local: base, Domain: a.Domain}.String())
	}
	for _, key := range keys {
		decided, may, err := s.sendAsKey(ctx, op, id, key)
		if decided || err != nil {
			return may, err
		}
	}
	return false, nil
}

// sendAsKey decides for one canonical address: decided is false when the
// address is neither an account's nor an alias.
func (s *Service) sendAsKey(ctx context.Context, op string, id store.AccountID, key string) (decided, may bool, err error) {
	owner, err := s.dir.LookupAddress(ctx, key)
	if ok, err := found(err); err != nil || ok {
		return true, ok && owner == id, store.Wrap(store.KindInternal, op, err)
	}
	targets, err := s.dir.Alias(ctx, key)
	if ok, err := found(err); err != nil || !ok {
		return ok, false, store.Wrap(store.KindInternal, op, err)
	}
	r := s.newResolver(op, false)
	if err := r.expand(ctx, key, targets); err != nil {
		if errors.Is(err, ErrAliasLoop) {
			return true, false, nil
		}
		return true, false, err
	}
	return true, slices.Contains(r.res.Local, id), nil
}
