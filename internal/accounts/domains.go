package accounts

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// AddDomain makes domain one of Petrel's domains. It is stored in its
// canonical A-label form.
func (s *Service) AddDomain(ctx context.Context, domain string) error {
	const op = "add domain"
	d, err := parseDomain(op, domain)
	if err != nil {
		return err
	}
	ok, err := s.dir.HasDomain(ctx, d)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	if ok {
		return store.Errorf(store.KindExists, op, "domain %q already exists", d)
	}
	return store.Wrap(store.KindInternal, op, s.dir.AddDomain(ctx, d))
}

// DeleteDomain removes a domain. It refuses (KindInvalid) while an account,
// an extra address or an alias is in the domain, or an alias has a target
// in it (the target would silently turn into a remote address).
func (s *Service) DeleteDomain(ctx context.Context, domain string) error {
	const op = "delete domain"
	d, err := parseDomain(op, domain)
	if err != nil {
		return err
	}
	if err := s.requireLocal(ctx, op, d); err != nil {
		return err
	}
	user, roles, err := s.domainUser(ctx, d)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	if user != "" {
		return store.Errorf(store.KindInvalid, op,
			"domain %q is still in use by %s; delete those first", d, user)
	}
	// The role aliases "petrel domain add --postmaster" made go with the
	// domain, when nothing else of it is left.
	for _, r := range roles {
		if err := s.dir.DeleteAlias(ctx, r); err != nil && !store.IsKind(err, store.KindNotFound) {
			return store.Wrap(store.KindInternal, op, err)
		}
	}
	return store.Wrap(store.KindInternal, op, s.dir.DeleteDomain(ctx, d))
}

// domainUser describes the first account address or alias found that uses
// domain d, or returns "" when there is none. The role aliases of d
// (postmaster@d, abuse@d) whose targets are elsewhere do not count: they
// are returned in roles.
func (s *Service) domainUser(ctx context.Context, d string) (user string, roles []string, err error) {
	accts, err := s.dir.Accounts(ctx)
	if err != nil {
		return "", nil, err
	}
	for _, a := range accts {
		addrs, err := s.dir.Addresses(ctx, a.ID)
		if err != nil {
			return "", nil, err
		}
		for _, addr := range addrs {
			switch {
			case domainOf(addr) != d:
			case addr == a.Address:
				return fmt.Sprintf("the account %q", addr), nil, nil
			default:
				return fmt.Sprintf("the address %q of account %q", addr, a.Address), nil, nil
			}
		}
	}
	aliases, err := s.dir.Aliases(ctx)
	if err != nil {
		return "", nil, err
	}
	for _, key := range slices.Sorted(maps.Keys(aliases)) {
		for _, t := range aliases[key] {
			if domainOf(t) == d {
				return fmt.Sprintf("the alias %q (target %q)", key, t), nil, nil
			}
		}
		if domainOf(key) == d {
			if local, _, _ := strings.Cut(key, "@"); !IsRole(local) {
				return fmt.Sprintf("the alias %q", key), nil, nil
			}
			roles = append(roles, key)
		}
	}
	return "", roles, nil
}

// Domains lists the local domains in canonical form, sorted.
func (s *Service) Domains(ctx context.Context) ([]string, error) {
	ds, err := s.dir.Domains(ctx)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "list domains", err)
	}
	slices.Sort(ds)
	return ds, nil
}

// IsLocalDomain reports whether domain (in any form CanonicalDomain
// accepts) is one of Petrel's domains. An invalid name is a KindInvalid
// error.
func (s *Service) IsLocalDomain(ctx context.Context, domain string) (bool, error) {
	const op = "check domain"
	d, err := parseDomain(op, domain)
	if err != nil {
		return false, err
	}
	ok, err := s.dir.HasDomain(ctx, d)
	return ok, store.Wrap(store.KindInternal, op, err)
}
