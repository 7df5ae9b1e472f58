package storecopy

import (
	"context"
	"fmt"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// acls copies the access rights on every mailbox (docs/architecture.md
// §Shared mailboxes) once every account is in the destination: a grantee
// is named by its primary address, whose ID in the destination may
// differ. Entries of the destination's mailbox that the source lacks (an
// earlier copy of a source changed since) are removed, so that a copy
// run again converges.
func (c *copier) acls(ctx context.Context, accts []store.Account) error {
	addr := make(map[store.AccountID]string, len(accts))
	for _, a := range accts {
		addr[a.ID] = a.Address
	}
	for _, a := range accts {
		owner, err := c.dst.LookupAddress(ctx, a.Address)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.Address, err)
		}
		mbs, err := c.src.Mailboxes(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, mb := range mbs {
			if err := c.mailboxACL(ctx, addr, owner, mb); err != nil {
				return fmt.Errorf("rights on %s %s: %w", a.Address, mb.Name, err)
			}
		}
	}
	return nil
}

func (c *copier) mailboxACL(ctx context.Context, addr map[store.AccountID]string, owner store.AccountID, mb store.Mailbox) error {
	entries, err := c.src.MailboxRights(ctx, mb.ID)
	if err != nil {
		return err
	}
	dmb, err := c.dst.Mailbox(ctx, owner, mb.Name)
	if err != nil {
		return err
	}
	keep := make(map[store.AccountID]bool, len(entries))
	for _, e := range entries {
		grantee := store.Anyone
		if e.Grantee != store.Anyone {
			if grantee, err = c.dst.LookupAddress(ctx, addr[e.Grantee]); err != nil {
				return fmt.Errorf("grantee %s: %w", addr[e.Grantee], err)
			}
		}
		if err := c.dst.SetRights(ctx, dmb.ID, grantee, e.Rights); err != nil {
			return err
		}
		keep[grantee] = true
		c.rep.ACLs++
	}
	have, err := c.dst.MailboxRights(ctx, dmb.ID)
	if err != nil {
		return err
	}
	for _, h := range have {
		if !keep[h.Grantee] {
			if err := c.dst.SetRights(ctx, dmb.ID, h.Grantee, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// aclText renders every access right of a store, one line per entry:
// owner, mailbox, grantee (address or "anyone"), rights (Verify).
func aclText(ctx context.Context, s store.Store) (string, error) {
	accts, err := s.Accounts(ctx)
	if err != nil {
		return "", err
	}
	addr := make(map[store.AccountID]string, len(accts)+1)
	addr[store.Anyone] = "anyone"
	for _, a := range accts {
		addr[a.ID] = a.Address
	}
	var b strings.Builder
	b.WriteString("access rights:")
	for _, a := range accts {
		mbs, err := s.Mailboxes(ctx, a.ID)
		if err != nil {
			return "", err
		}
		for _, mb := range mbs {
			entries, err := s.MailboxRights(ctx, mb.ID)
			if err != nil {
				return "", err
			}
			for _, e := range entries {
				fmt.Fprintf(&b, "\n%s %q %s %s", a.Address, mb.Name, addr[e.Grantee], e.Rights)
			}
		}
	}
	return b.String(), nil
}
