package accounts

import (
	"context"
	"net/url"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// The per-account data kept in the store's key/value entries (README
// "App passwords", "Admin API") live under accountPrefix(address): the
// account's primary address, which never changes and survives "petrel
// store copy" (account IDs do not), escaped into one key segment.
const accountsKV = "accounts/"

func accountPrefix(address string) string { return accountsKV + url.PathEscape(address) + "/" }

// Flag is an on/off setting of an account, kept as the presence of a
// key/value entry: setting one never rewrites another, so concurrent
// changes cannot undo each other.
type Flag string

const (
	// FlagAdmin: the account may use the admin API (README "Admin API").
	FlagAdmin Flag = "admin"
	// FlagAppPasswordsOnly: while the account has app passwords,
	// Authenticate (IMAP, POP3, SMTP AUTH) refuses its main password
	// (README "App passwords").
	FlagAppPasswordsOnly Flag = "app-passwords-only"
)

func (f Flag) valid() bool { return f == FlagAdmin || f == FlagAppPasswordsOnly }

func flagKey(address string, f Flag) string { return accountPrefix(address) + "flag/" + string(f) }

// SetFlag turns flag f of the account that has address (any of its
// addresses) on or off.
func (s *Service) SetFlag(ctx context.Context, address string, f Flag, on bool) error {
	const op = "set flag"
	if !f.valid() {
		return store.Errorf(store.KindInvalid, op, "unknown flag %q", f)
	}
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return err
	}
	key := flagKey(acct.Address, f)
	if on {
		err = s.dir.KVCreate(ctx, key, []byte("on"))
		if store.IsKind(err, store.KindExists) {
			err = nil
		}
	} else {
		err = s.dir.KVDelete(ctx, key)
		if store.IsKind(err, store.KindNotFound) {
			err = nil
		}
	}
	return store.Wrap(store.KindInternal, op, err)
}

// HasFlag reports whether flag f of the account that has address is on.
func (s *Service) HasFlag(ctx context.Context, address string, f Flag) (bool, error) {
	const op = "flag"
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return false, err
	}
	return s.accountFlag(ctx, acct, f)
}

func (s *Service) accountFlag(ctx context.Context, acct store.Account, f Flag) (bool, error) {
	on, err := s.dir.KVExists(ctx, flagKey(acct.Address, f))
	return on, store.Wrap(store.KindInternal, "flag", err)
}

// Flags returns the flags of the account that has address that are on.
func (s *Service) Flags(ctx context.Context, address string) ([]Flag, error) {
	var out []Flag
	for _, f := range []Flag{FlagAdmin, FlagAppPasswordsOnly} {
		on, err := s.HasFlag(ctx, address, f)
		if err != nil {
			return nil, err
		}
		if on {
			out = append(out, f)
		}
	}
	return out, nil
}

// forgetAccount removes the key/value entries of the account with the
// primary address address (DeleteUser, before the account goes: a later
// account with the same address must not inherit them).
func (s *Service) forgetAccount(ctx context.Context, address string) error {
	prefixes := []string{accountPrefix(address)}
	for _, ns := range filterNamespaces() {
		prefixes = append(prefixes, ns+url.PathEscape(strings.ToLower(address))+"/")
	}
	for _, p := range prefixes {
		infos, err := s.dir.KVList(ctx, p)
		if err != nil {
			return err
		}
		for _, info := range infos {
			if err := s.dir.KVDelete(ctx, info.Key); err != nil && !store.IsKind(err, store.KindNotFound) {
				return err
			}
		}
	}
	return nil
}

// filterNamespaces are the key/value namespaces that the mail filters
// keep per account under NS/ADDRESS/ (the address lower-cased and
// escaped as one segment; README "Filters and vacation"): the Sieve
// scripts (package sievescripts), the vacation replies sent (package
// vacation), the duplicate marks and failure reports of the Sieve policy
// (package delivery). DeleteUser removes them with the account, so that
// a later account of the same address does not run its scripts.
func filterNamespaces() []string {
	return []string{"sieve/", "vacation/", "sieve-duplicate/", "sieve-failure/"}
}
