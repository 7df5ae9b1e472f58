package accounts

import (
	"context"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// Roles are the local parts every local domain answers for: postmaster
// (RFC 5321 §4.5.1) and abuse (RFC 2142 §2). When a domain has no such
// address of its own, its mail goes to Postmaster's mailbox.
func Roles() []string { return []string{"postmaster", "abuse"} }

// IsRole reports whether local is one of Roles (in any case).
func IsRole(local string) bool {
	return strings.EqualFold(local, "postmaster") || strings.EqualFold(local, "abuse")
}

// Postmaster returns the address that gets the mail for the role
// addresses of a domain that has none of its own (README "SMTP":
// postmaster): configured (delivery.postmaster) when it leads to local
// accounts, else the postmaster@ of the first local domain (sorted) that
// does, else the account created first. A KindNotFound error means there
// is nowhere yet (no account at all); a store failure is returned, not
// passed over. Delivery and "petrel domain add" both ask here, so that
// what the command says is what delivery does.
func (s *Service) Postmaster(ctx context.Context, configured string) (string, error) {
	if ok, err := s.localMailbox(ctx, configured); err != nil || ok {
		return pick(configured, ok), err
	}
	domains, err := s.Domains(ctx)
	if err != nil {
		return "", err
	}
	for _, d := range domains {
		addr := "postmaster@" + d
		if ok, err := s.localMailbox(ctx, addr); err != nil || ok {
			return pick(addr, ok), err
		}
	}
	return s.OldestAccount(ctx)
}

// pick is addr when ok, else "".
func pick(addr string, ok bool) string {
	if ok {
		return addr
	}
	return ""
}

// localMailbox reports whether addr resolves to local accounts only; an
// address that is not there, or that loops, does not (false, nil).
func (s *Service) localMailbox(ctx context.Context, addr string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	r, err := s.Resolve(ctx, addr)
	switch {
	case store.IsKind(err, store.KindNotFound), store.IsKind(err, store.KindInvalid):
		return false, nil
	case err != nil:
		return false, err
	}
	return len(r.Remote) == 0 && len(r.Local) > 0, nil
}

// OldestAccount returns the primary address of the account created
// first (the lowest ID), or a KindNotFound error when there is none: the
// postmaster of last resort.
func (s *Service) OldestAccount(ctx context.Context) (string, error) {
	// One row read, not the account list: this runs for each message to
	// a role address that has nowhere else to go.
	a, err := s.dir.FirstAccount(ctx)
	if err != nil {
		if store.IsKind(err, store.KindNotFound) {
			return "", err
		}
		return "", store.Wrap(store.KindInternal, "oldest account", err)
	}
	return a.Address, nil
}
