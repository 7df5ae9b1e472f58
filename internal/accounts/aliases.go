package accounts

import (
	"context"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// aliasKey canonicalises an alias address: "local@domain", or "@domain"
// for a domain's catch-all.
func aliasKey(op, address string) (string, error) {
	address = strings.TrimSpace(address)
	if d, ok := strings.CutPrefix(address, "@"); ok {
		c, err := parseDomain(op, d)
		return "@" + c, err
	}
	a, err := parseAddress(op, address)
	return a.String(), err
}

// AddAlias creates the alias address -> targets. The address is in a local
// domain, "@domain" makes it the domain's catch-all, and it must not be an
// account's address or an existing alias (KindExists). Targets are local
// or remote addresses; a local target must resolve to an account or alias,
// and the alias must not create a loop.
func (s *Service) AddAlias(ctx context.Context, address string, targets []string) error {
	const op = "add alias"
	key, err := aliasKey(op, address)
	if err != nil {
		return err
	}
	if err := s.requireLocal(ctx, op, domainOf(key)); err != nil {
		return err
	}
	if !strings.HasPrefix(key, "@") {
		_, err := s.dir.LookupAddress(ctx, key)
		ok, err := found(err)
		if err == nil && ok {
			err = store.Errorf(store.KindExists, op,
				"%q is the address of an account; an alias cannot use it", key)
		}
		if err != nil {
			return store.Wrap(store.KindInternal, op, err)
		}
	}
	if err := s.requireNoAlias(ctx, op, key); err != nil {
		return err
	}
	ts, err := s.aliasTargets(ctx, op, targets)
	if err != nil {
		return err
	}
	r := s.newResolver(op, true)
	r.overlay[key] = ts
	if err := r.expand(ctx, key, ts); err != nil {
		return err
	}
	return store.Wrap(store.KindInternal, op, s.dir.SetAlias(ctx, key, ts))
}

// aliasTargets checks and canonicalises alias targets: local ones fully,
// remote ones in their domain only (their local part may be case-sensitive
// on the remote host, RFC 5321 §2.4). Duplicates are dropped.
func (s *Service) aliasTargets(ctx context.Context, op string, targets []string) ([]string, error) {
	var out []string
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if strings.HasPrefix(t, "@") {
			return nil, store.Errorf(store.KindInvalid, op, "target %q is not an address", t)
		}
		a, err := parseAddress(op, t)
		if err != nil {
			return nil, err
		}
		key := a.String()
		local, err := s.dir.HasDomain(ctx, a.Domain)
		if err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		if !local {
			parsed, _ := mailaddr.Parse(t) // valid: parseAddress accepted it
			key = mailaddr.Address{Local: parsed.Local, Domain: a.Domain}.String()
		}
		if !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	if len(out) == 0 {
		return nil, store.Errorf(store.KindInvalid, op, "an alias needs at least one target")
	}
	return out, nil
}

// DeleteAlias deletes an alias ("@domain" for a catch-all). It refuses
// (KindInvalid) an alias that another alias forwards to.
func (s *Service) DeleteAlias(ctx context.Context, address string) error {
	const op = "delete alias"
	key, err := aliasKey(op, address)
	if err != nil {
		return err
	}
	_, err = s.dir.Alias(ctx, key)
	if store.IsKind(err, store.KindNotFound) {
		return store.Errorf(store.KindNotFound, op, "there is no alias %q", key)
	}
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	if err := s.requireNotTarget(ctx, op, []string{key}); err != nil {
		return err
	}
	return store.Wrap(store.KindInternal, op, s.dir.DeleteAlias(ctx, key))
}

// Aliases returns every alias (keys "local@domain" or "@domain") with its
// targets.
func (s *Service) Aliases(ctx context.Context) (map[string][]string, error) {
	m, err := s.dir.Aliases(ctx)
	return m, store.Wrap(store.KindInternal, "list aliases", err)
}
