package accounts

import (
	"context"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Authenticate checks a username and password. The username is any address
// of the account, in any case and domain form. An unknown user, an invalid
// username and a wrong password all return ErrAuthFailed, after the same
// amount of hashing work; other errors are directory failures (or ctx's).
func (s *Service) Authenticate(ctx context.Context, username, password string) (store.Account, error) {
	const op = "authenticate"
	if password == "" {
		// Independent of the username: reveals nothing about it.
		return store.Account{}, ErrAuthFailed
	}
	id, ok, err := s.lookupUser(ctx, username)
	if err != nil {
		return store.Account{}, store.Wrap(store.KindInternal, op, err)
	}
	if !ok {
		s.spendHash(ctx, password)
		return store.Account{}, ErrAuthFailed
	}
	acct, err := s.dir.Account(ctx, id)
	if store.IsKind(err, store.KindNotFound) {
		// Deleted since the lookup.
		s.spendHash(ctx, password)
		return store.Account{}, ErrAuthFailed
	}
	if err != nil {
		return store.Account{}, store.Wrap(store.KindInternal, op, err)
	}
	if s.auth.verified(acct.ID, acct.PasswordHash, password) {
		return acct, nil
	}
	match, err := s.verifyPassword(ctx, password, acct.PasswordHash)
	if err != nil {
		if ctx.Err() != nil {
			return store.Account{}, store.Wrap(store.KindTemporary, op, err)
		}
		return store.Account{}, store.Errorf(store.KindInternal, op, "account %q: %w", acct.Address, err)
	}
	if !match {
		return store.Account{}, ErrAuthFailed
	}
	s.auth.remember(acct.ID, acct.PasswordHash, password)
	return acct, nil
}

// AccountKey names the account a login for username is about, for the
// failed-login guard (authguard.Config.AccountKey): the account's primary
// address when username is any of its addresses, in any spelling (case,
// a quoted local part, a full-width or Unicode domain); else the
// canonical form of username (ThrottleKey), so that guesses at unknown
// names are counted too.
func (s *Service) AccountKey(ctx context.Context, username string) string {
	if id, ok, err := s.lookupUser(ctx, strings.TrimSpace(username)); err == nil && ok {
		if acct, err := s.dir.Account(ctx, id); err == nil {
			return acct.Address
		}
	}
	return ThrottleKey(username)
}

// lookupUser finds the account of a username; ok is false when the
// username is not a valid address or no account has it.
func (s *Service) lookupUser(ctx context.Context, username string) (id store.AccountID, ok bool, err error) {
	a, err := mailaddr.Parse(username)
	if err == nil {
		a, err = mailaddr.Canonical(a)
	}
	if err != nil || a.IsLiteral() {
		return 0, false, nil
	}
	id, err = s.dir.LookupAddress(ctx, a.String())
	ok, err = found(err)
	return id, ok, err
}
