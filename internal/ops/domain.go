package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Where says how a new domain's role addresses (postmaster@, abuse@:
// RFC 5321 §4.5.1, RFC 2142 §2) are answered.
type Where int

const (
	// ViaAliases: AddDomain made them aliases of the address it was given.
	ViaAliases Where = iota
	// ViaConfig: they go to delivery.postmaster.
	ViaConfig
	// ViaFallback: they go to the postmaster@ of another local domain, or
	// to the account created first (accounts.Service.Postmaster).
	ViaFallback
	// Nowhere: there is no account yet; the first one created gets them.
	Nowhere
)

// NewDomain is the outcome of AddDomain.
type NewDomain struct {
	Domain string   // canonical (A-label)
	Roles  []string // postmaster@Domain, abuse@Domain
	// Postmaster is where the role addresses go now ("" for Nowhere).
	Postmaster string
	Via        Where
}

// AddDomain makes domain local and its role addresses resolve (README
// "Going live"). With postmaster set, they become aliases of it, which
// must already lead somewhere (an account or alias, or an address in
// another domain); an address of the new domain itself cannot exist yet
// and is refused. Without it, delivery sends their mail to
// delivery.postmaster, or to its fallbacks (accounts.Service.Postmaster);
// the result says which. The domain is not added when the aliases cannot
// be made.
func (d *Directory) AddDomain(ctx context.Context, domain, postmaster string) (NewDomain, error) {
	dom, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return NewDomain{}, invalid("domain", err)
	}
	res := NewDomain{Domain: dom}
	for _, r := range accounts.Roles() {
		res.Roles = append(res.Roles, r+"@"+dom)
	}
	if postmaster != "" {
		target, err := d.roleTarget(ctx, dom, postmaster)
		if err != nil {
			return NewDomain{}, err
		}
		if err := wrap(d.acc.AddDomain(ctx, dom)); err != nil {
			return NewDomain{}, err
		}
		for i, role := range res.Roles {
			if err := d.acc.AddAlias(ctx, role, []string{target}); err != nil {
				d.undoDomain(ctx, res.Roles[:i], dom)
				return NewDomain{}, wrap(err)
			}
		}
		res.Postmaster, res.Via = target, ViaAliases
		return res, nil
	}
	if err := wrap(d.acc.AddDomain(ctx, dom)); err != nil {
		return NewDomain{}, err
	}
	addr, err := d.acc.Postmaster(ctx, d.postmaster)
	switch {
	case store.IsKind(err, store.KindNotFound):
		res.Via = Nowhere
	case err != nil:
		return res, wrap(err)
	case addr == d.postmaster:
		res.Postmaster, res.Via = addr, ViaConfig
	default:
		res.Postmaster, res.Via = addr, ViaFallback
	}
	return res, nil
}

// roleTarget checks the --postmaster address of a new domain dom: it
// must lead somewhere now, so that postmaster@dom never bounces.
func (d *Directory) roleTarget(ctx context.Context, dom, postmaster string) (string, error) {
	target, err := canonicalAddress(postmaster)
	if err != nil {
		return "", invalid("postmaster", err)
	}
	if strings.HasSuffix(target, "@"+dom) {
		return "", &Error{Kind: KindInvalid, Field: "postmaster", Msg: fmt.Sprintf(
			"%s is in %s, which has no accounts yet: add the domain without --postmaster, create the account, "+
				"then petrel alias add postmaster@%s %s (abuse@%s follows it)", target, dom, dom, target, dom)}
	}
	_, err = d.acc.Resolve(ctx, target)
	switch {
	case err == nil, errors.Is(err, accounts.ErrNotLocal):
		return target, nil
	case store.IsKind(err, store.KindNotFound):
		return "", &Error{Kind: KindInvalid, Field: "postmaster", Msg: fmt.Sprintf(
			"%s is not an account or alias here: postmaster mail would bounce; name an existing address", target)}
	}
	return "", wrap(err)
}

// undoDomain removes the aliases made so far and the domain, after a
// failed AddDomain; what cannot be undone stays (the error that made
// AddDomain fail is the one reported).
func (d *Directory) undoDomain(ctx context.Context, aliases []string, dom string) {
	for _, a := range aliases {
		_ = d.acc.DeleteAlias(ctx, a)
	}
	_ = d.acc.DeleteDomain(ctx, dom)
}
