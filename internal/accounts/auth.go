package accounts

import (
	"context"
	"crypto/subtle"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Authenticate checks a username and password for the mail protocols
// (IMAP, POP3, SMTP AUTH): the password is the account's main password or
// one of its app passwords (apppasswords.go); the main password is
// refused while the account has app passwords and FlagAppPasswordsOnly
// is on. The username is any address of the account, in any case and
// domain form. An unknown user, an invalid username and a wrong password
// all return ErrAuthFailed, after the same amount of hashing work (one
// hash, and one more per app password sharing the first characters of
// the password given); other errors are directory failures (or ctx's).
func (s *Service) Authenticate(ctx context.Context, username, password string) (store.Account, error) {
	return s.authenticate(ctx, username, password, true)
}

// AuthenticatePassword checks a username and the account's main password
// only, whatever FlagAppPasswordsOnly says: the logins of the web pages
// and the admin API, where app passwords are not meant to be used.
func (s *Service) AuthenticatePassword(ctx context.Context, username, password string) (store.Account, error) {
	return s.authenticate(ctx, username, password, false)
}

func (s *Service) authenticate(ctx context.Context, username, password string, apps bool) (store.Account, error) {
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
	hashes := []string{acct.PasswordHash}
	if apps {
		if hashes, err = s.protocolHashes(ctx, acct, password); err != nil {
			return store.Account{}, store.Wrap(store.KindInternal, op, err)
		}
	}
	if len(hashes) == 0 {
		s.spendHash(ctx, password)
	}
	for _, h := range hashes {
		match, err := s.checkHash(ctx, acct.ID, h, password)
		if err != nil {
			if ctx.Err() != nil {
				return store.Account{}, store.Wrap(store.KindTemporary, op, err)
			}
			return store.Account{}, store.Errorf(store.KindInternal, op, "account %q: %w", acct.Address, err)
		}
		if match {
			if h == acct.PasswordHash {
				s.ensureScram(ctx, acct, password)
			}
			return acct, nil
		}
	}
	return store.Account{}, ErrAuthFailed
}

// protocolHashes are the hashes password is checked against for the
// mail protocols: the main password's, unless the account has app
// passwords and FlagAppPasswordsOnly, after those of the app passwords
// whose hint matches the start of password.
func (s *Service) protocolHashes(ctx context.Context, acct store.Account, password string) ([]string, error) {
	entries, err := s.appEntries(ctx, acct.Address)
	if err != nil {
		return nil, err
	}
	// The app passwords first: a device logs in with its app password
	// again and again, and the cache then spares every hash.
	var hashes []string
	for _, e := range entries {
		if len(password) >= appHintLen && subtle.ConstantTimeCompare([]byte(e.Hint), []byte(password[:appHintLen])) == 1 {
			hashes = append(hashes, e.Hash)
		}
	}
	only := false
	if len(entries) > 0 {
		if only, err = s.accountFlag(ctx, acct, FlagAppPasswordsOnly); err != nil {
			return nil, err
		}
	}
	if !only {
		hashes = append(hashes, acct.PasswordHash)
	}
	return hashes, nil
}

// checkHash verifies password against one stored hash of the account,
// through the cache of passwords that verified.
func (s *Service) checkHash(ctx context.Context, id store.AccountID, hash, password string) (bool, error) {
	if s.auth.verified(id, hash, password) {
		return true, nil
	}
	match, err := s.verifyPassword(ctx, password, hash)
	if err != nil || !match {
		return false, err
	}
	s.auth.remember(id, hash, password)
	return true, nil
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
