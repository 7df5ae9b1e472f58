package accounts

import (
	"context"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Limits of alias expansion.
const (
	// maxAliasDepth bounds the nesting of aliases (an alias whose target is
	// an alias whose target ...).
	maxAliasDepth = 16
	// maxAliasTargets bounds the number of targets one expansion visits.
	maxAliasTargets = 1000
)

// Resolution is where mail for an address goes.
type Resolution struct {
	// Local are the accounts to deliver to, without duplicates, in the
	// order they were found.
	Local []store.AccountID
	// Remote are addresses in other domains (alias targets), without
	// duplicates: their domain is canonical, their local part as written.
	Remote []string
	// Missing are local alias targets that no longer match any account or
	// alias (left behind by a deleted account); they receive nothing.
	Missing []string
}

// Resolve finds the accounts and remote addresses that mail for address
// goes to. An address in a domain that is not local is a KindNotFound error
// wrapping ErrNotLocal; a local address that matches nothing is KindNotFound;
// an alias loop or an expansion over the limits is KindInvalid.
func (s *Service) Resolve(ctx context.Context, address string) (Resolution, error) {
	const op = "resolve"
	a, err := mailaddr.Parse(address)
	if err == nil {
		a, err = mailaddr.Canonical(a)
	}
	if err != nil {
		return Resolution{}, store.Errorf(store.KindInvalid, op, "%w", err)
	}
	r := s.newResolver(op, false)
	local, err := r.isLocal(ctx, a.Domain)
	if err != nil {
		return Resolution{}, err
	}
	if !local {
		return Resolution{}, notLocal(op, a.Domain)
	}
	ok, err := r.resolve(ctx, a)
	if err != nil {
		return Resolution{}, err
	}
	if !ok || len(r.res.Local)+len(r.res.Remote) == 0 {
		return Resolution{}, store.Errorf(store.KindNotFound, op, "no account or alias has the address %q", a.String())
	}
	return r.res, nil
}

// resolver is the state of one expansion.
type resolver struct {
	s  *Service
	op string
	// strict makes a local target that matches nothing an error (when
	// checking a new alias) rather than a Missing entry.
	strict bool
	// overlay holds aliases not yet stored, looked up before the directory.
	overlay map[string][]string
	domains map[string]bool // domain -> local, cached
	stack   []string        // alias keys being expanded, outermost first
	visits  int
	res     Resolution
}

func (s *Service) newResolver(op string, strict bool) *resolver {
	return &resolver{s: s, op: op, strict: strict, overlay: map[string][]string{}, domains: map[string]bool{}}
}

func (r *resolver) isLocal(ctx context.Context, domain string) (bool, error) {
	if strings.HasPrefix(domain, "[") {
		return false, nil // an address literal is never one of our domains
	}
	if ok, cached := r.domains[domain]; cached {
		return ok, nil
	}
	ok, err := r.s.dir.HasDomain(ctx, domain)
	if err != nil {
		return false, store.Wrap(store.KindInternal, r.op, err)
	}
	r.domains[domain] = ok
	return ok, nil
}

// resolve looks up a canonical local address in the order of the package
// documentation and reports whether anything matched.
func (r *resolver) resolve(ctx context.Context, a mailaddr.Address) (bool, error) {
	if ok, err := r.exact(ctx, a.String(), true); ok || err != nil {
		return ok, err
	}
	if base, _ := mailaddr.SplitSubaddress(a.Local, r.s.sep); base != a.Local {
		b := mailaddr.Address{Local: base, Domain: a.Domain}
		if ok, err := r.exact(ctx, b.String(), true); ok || err != nil {
			return ok, err
		}
	}
	return r.exact(ctx, "@"+a.Domain, false)
}

// exact looks key up as an account address (if account is set), then as
// an alias, which it expands.
func (r *resolver) exact(ctx context.Context, key string, account bool) (bool, error) {
	if account {
		id, err := r.s.dir.LookupAddress(ctx, key)
		ok, err := found(err)
		if err != nil {
			return false, store.Wrap(store.KindInternal, r.op, err)
		}
		if ok {
			if !slices.Contains(r.res.Local, id) {
				r.res.Local = append(r.res.Local, id)
			}
			return true, nil
		}
	}
	targets, ok := r.overlay[key]
	if !ok {
		var err error
		targets, err = r.s.dir.Alias(ctx, key)
		if ok, err = found(err); err != nil || !ok {
			return false, store.Wrap(store.KindInternal, r.op, err)
		}
	}
	return true, r.expand(ctx, key, targets)
}

// expand resolves the targets of the alias key.
func (r *resolver) expand(ctx context.Context, key string, targets []string) error {
	if i := slices.Index(r.stack, key); i >= 0 {
		loop := append(slices.Clone(r.stack[i:]), key)
		return store.Errorf(store.KindInvalid, r.op, "%w: %s", ErrAliasLoop, strings.Join(loop, " -> "))
	}
	if len(r.stack) >= maxAliasDepth {
		return store.Errorf(store.KindInvalid, r.op,
			"%w: aliases are nested more than %d deep at %q", ErrAliasLoop, maxAliasDepth, key)
	}
	r.stack = append(r.stack, key)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()
	for _, t := range targets {
		if err := r.target(ctx, key, t); err != nil {
			return err
		}
	}
	return nil
}

// target resolves one target of the alias key.
func (r *resolver) target(ctx context.Context, key, t string) error {
	if r.visits++; r.visits > maxAliasTargets {
		return store.Errorf(store.KindInvalid, r.op,
			"%w: the expansion of alias %q has more than %d targets", ErrAliasLoop, r.stack[0], maxAliasTargets)
	}
	a, err := mailaddr.Parse(t)
	var c mailaddr.Address
	if err == nil {
		c, err = mailaddr.Canonical(a)
	}
	if err != nil {
		return store.Errorf(store.KindInvalid, r.op, "alias %q has an invalid target: %w", key, err)
	}
	local, err := r.isLocal(ctx, c.Domain)
	if err != nil {
		return err
	}
	if !local {
		remote := mailaddr.Address{Local: a.Local, Domain: c.Domain}.String()
		if !slices.Contains(r.res.Remote, remote) {
			r.res.Remote = append(r.res.Remote, remote)
		}
		return nil
	}
	ok, err := r.resolve(ctx, c)
	switch {
	case err != nil || ok:
		return err
	case r.strict:
		return store.Errorf(store.KindNotFound, r.op,
			"the target %q of alias %q is not an account or alias", c.String(), key)
	}
	if !slices.Contains(r.res.Missing, c.String()) {
		r.res.Missing = append(r.res.Missing, c.String())
	}
	return nil
}
