package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/store"
)

const shareUsage = "usage: petrel share ADDRESS MAILBOX GRANTEE RIGHTS|+RIGHTS|-RIGHTS | share ADDRESS MAILBOX GRANTEE --revoke | " +
	"share list ADDRESS [MAILBOX] | share visible ADDRESS"

// shareCmd runs "petrel share": the access rights an account grants on
// its mailboxes to other accounts (README "Shared mailboxes";
// docs/architecture.md §Shared mailboxes). GRANTEE is an address of an
// account or "anyone" (every account of the owner's domain); RIGHTS are
// the letters of RFC 4314 §2.1, stored in their canonical order; "+" adds
// to the grantee's rights, "-" takes away, as SETACL does (RFC 4314
// §3.1); empty rights or --revoke remove the entry.
func (a *app) shareCmd(ctx context.Context, args []string) error {
	revoke := slices.ContainsFunc(args, isRevokeFlag)
	args = slices.DeleteFunc(slices.Clone(args), isRevokeFlag)
	// "-RIGHTS" is an argument, not a flag: hidden from the flag parser.
	const minus = "\x00"
	for i, arg := range args {
		if len(arg) > 1 && arg[0] == '-' && strings.Trim(arg[1:], store.AllRights) == "" {
			args[i] = minus + arg
		}
	}
	opts, pos, err := parseArgs("share", args, false)
	if err != nil {
		return err
	}
	for i, p := range pos {
		pos[i] = strings.TrimPrefix(p, minus)
	}
	switch {
	case len(pos) == 0:
		return usageErrorf(shareUsage)
	case revoke && (len(pos) != 3 || pos[0] == "list" || pos[0] == "visible"):
		return usageErrorf("share: --revoke takes ADDRESS MAILBOX GRANTEE")
	case pos[0] == "list" && len(pos) != 2 && len(pos) != 3, pos[0] == "visible" && len(pos) != 2:
		return usageErrorf(shareUsage)
	case pos[0] != "list" && pos[0] != "visible" && len(pos) != 4 && !revoke:
		return usageErrorf(shareUsage)
	}
	var rights string
	if len(pos) == 4 {
		if rights, err = checkRights(pos[3]); err != nil {
			return err
		}
	}
	return a.withStore(ctx, opts, func(_ *config.Config, st store.Store) error {
		var err error
		switch pos[0] {
		case "list":
			err = a.shareList(ctx, st, pos[1:])
		case "visible":
			err = a.shareVisible(ctx, st, pos[1])
		default:
			err = a.shareSet(ctx, st, pos[0], pos[1], pos[2], rights)
		}
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"share: " + errText(err)}}
		}
		return nil
	})
}

func isRevokeFlag(s string) bool { return s == "--revoke" || s == "-revoke" }

// checkRights checks the letters of RIGHTS (after a "+" or "-") and
// returns them with the sign, letters in canonical order.
func checkRights(arg string) (string, error) {
	sign := ""
	if strings.HasPrefix(arg, "+") || strings.HasPrefix(arg, "-") {
		sign, arg = arg[:1], arg[1:]
	}
	r, err := store.CanonicalRights(arg)
	if err != nil {
		return "", usageErrorf("share: RIGHTS %q: each letter must be one of %s (RFC 4314 §2.1)", arg, store.AllRights)
	}
	return sign + r, nil
}

// shareSet changes grantee's rights on owner's mailbox and prints the
// mailbox's entries after the change.
func (a *app) shareSet(ctx context.Context, st store.Store, owner, mailbox, grantee, rights string) error {
	acct, mb, err := ownerMailbox(ctx, st, owner, mailbox)
	if err != nil {
		return err
	}
	gid := store.Anyone
	if !strings.EqualFold(grantee, "anyone") {
		if gid, err = st.LookupAddress(ctx, grantee); err != nil {
			return fmt.Errorf("no account %s", grantee)
		}
	}
	if gid == acct.ID {
		return fmt.Errorf("%s owns %s and has every right on it", grantee, mb.Name)
	}
	if sign := rights[:min(1, len(rights))]; sign == "+" || sign == "-" {
		entries, err := st.MailboxRights(ctx, mb.ID)
		if err != nil {
			return err
		}
		var had string
		for _, e := range entries {
			if e.Grantee == gid {
				had = e.Rights
			}
		}
		if sign == "+" {
			rights = had + rights[1:]
		} else {
			rights = strings.Map(func(r rune) rune {
				if strings.ContainsRune(rights[1:], r) {
					return -1
				}
				return r
			}, had)
		}
	}
	if err := st.SetRights(ctx, mb.ID, gid, rights); err != nil {
		return err
	}
	return a.printRights(ctx, st, mb)
}

// ownerMailbox finds an account by address and one of its mailboxes.
func ownerMailbox(ctx context.Context, st store.Store, owner, mailbox string) (store.Account, store.Mailbox, error) {
	id, err := st.LookupAddress(ctx, owner)
	if err != nil {
		return store.Account{}, store.Mailbox{}, fmt.Errorf("no account %s", owner)
	}
	acct, err := st.Account(ctx, id)
	if err != nil {
		return acct, store.Mailbox{}, err
	}
	mb, err := st.Mailbox(ctx, id, mailbox)
	if store.IsKind(err, store.KindNotFound) {
		return acct, mb, fmt.Errorf("%s has no mailbox %q", acct.Address, mailbox)
	}
	return acct, mb, err
}

// shareList prints the entries of an account's mailboxes (or of one),
// a line each: mailbox, grantee ("anyone" or its primary address),
// rights.
func (a *app) shareList(ctx context.Context, st store.Store, args []string) error {
	if len(args) == 2 {
		_, mb, err := ownerMailbox(ctx, st, args[0], args[1])
		if err != nil {
			return err
		}
		return a.printRights(ctx, st, mb)
	}
	id, err := st.LookupAddress(ctx, args[0])
	if err != nil {
		return fmt.Errorf("no account %s", args[0])
	}
	mbs, err := st.Mailboxes(ctx, id)
	if err != nil {
		return err
	}
	for _, mb := range mbs {
		if err := a.printRights(ctx, st, mb); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) printRights(ctx context.Context, st store.Store, mb store.Mailbox) error {
	entries, err := st.MailboxRights(ctx, mb.ID)
	if err != nil {
		return err
	}
	for _, e := range entries {
		grantee := "anyone"
		if e.Grantee != store.Anyone {
			g, err := st.Account(ctx, e.Grantee)
			if err != nil {
				return err
			}
			grantee = g.Address
		}
		fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", mb.Name, grantee, e.Rights)
	}
	return nil
}

// shareVisible prints the mailboxes of other accounts that an account
// can see, a line each: owner, mailbox, the account's rights.
func (a *app) shareVisible(ctx context.Context, st store.Store, address string) error {
	id, err := st.LookupAddress(ctx, address)
	if err != nil {
		return fmt.Errorf("no account %s", address)
	}
	acct, err := st.Account(ctx, id)
	if err != nil {
		return err
	}
	domain := acct.Address[strings.LastIndexByte(acct.Address, '@')+1:]
	list, err := st.SharedWith(ctx, id, domain)
	if err != nil {
		return err
	}
	for _, sm := range list {
		fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", sm.Owner, sm.Mailbox.Name, sm.Rights)
	}
	return nil
}
