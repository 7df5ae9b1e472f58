package accounts

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// User is an account as listed by Users.
type User struct {
	ID      store.AccountID
	Address string // primary address, canonical
	// Addresses are the account's extra addresses (not the primary one),
	// canonical, sorted.
	Addresses []string
}

// AddUser creates an account with its default mailboxes. The address must
// be in a local domain and not yet in use by an account or an alias.
func (s *Service) AddUser(ctx context.Context, address, password string) (store.Account, error) {
	const op = "add user"
	a, err := s.newAddress(ctx, op, address)
	if err != nil {
		return store.Account{}, err
	}
	if err := checkPassword(op, password); err != nil {
		return store.Account{}, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return store.Account{}, store.Wrap(store.KindInternal, op, err)
	}
	acct, err := s.dir.CreateAccount(ctx, a.String(), hash)
	if err != nil {
		return acct, store.Wrap(store.KindInternal, op, err)
	}
	// Best effort, as at a login (scram.go): the next login fills them in.
	_ = s.storeScram(ctx, acct.Address, hash, password)
	return acct, nil
}

// newAddress parses an address that is to be created: in a local domain,
// and neither an account's address nor an alias yet.
func (s *Service) newAddress(ctx context.Context, op, address string) (mailaddr.Address, error) {
	a, err := parseAddress(op, address)
	if err != nil {
		return a, err
	}
	if err := s.requireLocal(ctx, op, a.Domain); err != nil {
		return a, err
	}
	key := a.String()
	_, err = s.dir.LookupAddress(ctx, key)
	ok, err := found(err)
	if err == nil && ok {
		err = store.Errorf(store.KindExists, op, "%q is already the address of an account", key)
	}
	if err != nil {
		return a, store.Wrap(store.KindInternal, op, err)
	}
	if err := s.requireNoAlias(ctx, op, key); err != nil {
		return a, err
	}
	return a, nil
}

func (s *Service) requireNoAlias(ctx context.Context, op, key string) error {
	_, err := s.dir.Alias(ctx, key)
	ok, err := found(err)
	if err == nil && ok {
		err = store.Errorf(store.KindExists, op,
			"%q is already an alias; delete it first with \"petrel alias del\"", key)
	}
	return store.Wrap(store.KindInternal, op, err)
}

func checkPassword(op, password string) error {
	if password == "" {
		return store.Errorf(store.KindInvalid, op, "the password is empty")
	}
	return nil
}

// account finds the account that owns address (primary or extra). It
// also returns the address in canonical form.
func (s *Service) account(ctx context.Context, op, address string) (store.Account, string, error) {
	a, err := parseAddress(op, address)
	if err != nil {
		return store.Account{}, "", err
	}
	key := a.String()
	id, err := s.dir.LookupAddress(ctx, key)
	if store.IsKind(err, store.KindNotFound) {
		return store.Account{}, key, store.Errorf(store.KindNotFound, op, "no account has the address %q", key)
	}
	if err != nil {
		return store.Account{}, key, store.Wrap(store.KindInternal, op, err)
	}
	acct, err := s.dir.Account(ctx, id)
	return acct, key, store.Wrap(store.KindInternal, op, err)
}

// AccountOf returns the account that has address (primary or extra);
// KindNotFound when none has.
func (s *Service) AccountOf(ctx context.Context, address string) (store.Account, error) {
	acct, _, err := s.account(ctx, "account", address)
	return acct, err
}

// DeleteUser deletes the account whose primary address is address, with
// its mailboxes and extra addresses. It refuses (KindInvalid) an extra
// address, and an account that an alias still forwards to.
func (s *Service) DeleteUser(ctx context.Context, address string) error {
	const op = "delete user"
	acct, key, err := s.account(ctx, op, address)
	if err != nil {
		return err
	}
	if key != acct.Address {
		return store.Errorf(store.KindInvalid, op,
			"%q is an extra address of the account %q; delete that account, or remove the address", key, acct.Address)
	}
	addrs, err := s.dir.Addresses(ctx, acct.ID)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	if err := s.requireNotTarget(ctx, op, addrs); err != nil {
		return err
	}
	// Its flags and app passwords first: a failure leaves the account
	// whole, and a later account of the same address inherits nothing.
	if err := s.forgetAccount(ctx, acct.Address); err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	return store.Wrap(store.KindInternal, op, s.dir.DeleteAccount(ctx, acct.ID))
}

// requireNotTarget fails (KindInvalid) if an alias forwards to one of addrs.
func (s *Service) requireNotTarget(ctx context.Context, op string, addrs []string) error {
	aliases, err := s.dir.Aliases(ctx)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	for _, key := range slices.Sorted(maps.Keys(aliases)) {
		for _, t := range aliases[key] {
			if slices.Contains(addrs, t) {
				return store.Errorf(store.KindInvalid, op,
					"the alias %q forwards to %q; delete the alias first", key, t)
			}
		}
	}
	return nil
}

// SetPassword replaces the password of the account that has address (any
// of its addresses).
func (s *Service) SetPassword(ctx context.Context, address, password string) error {
	const op = "set password"
	if err := checkPassword(op, password); err != nil {
		return err
	}
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	if err := s.dir.SetPasswordHash(ctx, acct.ID, hash); err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	// Best effort: the secrets of the old password are keyed by its hash
	// and never used again (scram.go); the next login fills these in.
	_ = s.storeScram(ctx, acct.Address, hash, password)
	return nil
}

// Users lists the accounts, sorted by primary address.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	const op = "list users"
	accts, err := s.dir.Accounts(ctx)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	users := make([]User, 0, len(accts))
	for _, a := range accts {
		u, err := s.userOf(ctx, op, a)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	slices.SortFunc(users, func(x, y User) int { return strings.Compare(x.Address, y.Address) })
	return users, nil
}

// User describes the account that has address (any of its addresses),
// reading that account alone (Users reads every account).
func (s *Service) User(ctx context.Context, address string) (User, error) {
	const op = "user"
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return User{}, err
	}
	return s.userOf(ctx, op, acct)
}

// userOf is acct with its extra addresses, sorted.
func (s *Service) userOf(ctx context.Context, op string, acct store.Account) (User, error) {
	addrs, err := s.dir.Addresses(ctx, acct.ID)
	if err != nil {
		return User{}, store.Wrap(store.KindInternal, op, err)
	}
	extra := slices.DeleteFunc(slices.Clone(addrs), func(x string) bool { return x == acct.Address })
	slices.Sort(extra)
	return User{ID: acct.ID, Address: acct.Address, Addresses: extra}, nil
}

// AddAddress gives the account that has accountAddress (any of its
// addresses) the extra address extra, in a local domain.
func (s *Service) AddAddress(ctx context.Context, accountAddress, extra string) error {
	const op = "add address"
	acct, _, err := s.account(ctx, op, accountAddress)
	if err != nil {
		return err
	}
	a, err := s.newAddress(ctx, op, extra)
	if err != nil {
		return err
	}
	return store.Wrap(store.KindInternal, op, s.dir.AddAddress(ctx, acct.ID, a.String()))
}

// DeleteAddress removes an extra address from its account. It refuses
// (KindInvalid) a primary address, and an address an alias forwards to.
func (s *Service) DeleteAddress(ctx context.Context, address string) error {
	const op = "delete address"
	acct, key, err := s.account(ctx, op, address)
	if err != nil {
		return err
	}
	if key == acct.Address {
		return store.Errorf(store.KindInvalid, op,
			"%q is the primary address of its account; delete the account with \"petrel user del\"", acct.Address)
	}
	if err := s.requireNotTarget(ctx, op, []string{key}); err != nil {
		return err
	}
	return store.Wrap(store.KindInternal, op, s.dir.DeleteAddress(ctx, key))
}
