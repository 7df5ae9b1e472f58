package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// tokenCmd runs "petrel token create [--read-only] NAME", "token list"
// and "token revoke NAME": the tokens of the admin API (README "Admin
// API"), through ops.Tokens. create prints the token once on stdout.
func (a *app) tokenCmd(ctx context.Context, args []string) error {
	readOnly := slices.ContainsFunc(args, isReadOnlyFlag)
	args = slices.DeleteFunc(slices.Clone(args), isReadOnlyFlag)
	opts, pos, err := parseArgs("token", args, false)
	if err != nil {
		return err
	}
	usage := func() error {
		return usageErrorf("usage: petrel token create [--read-only] NAME | token list | token revoke NAME")
	}
	switch {
	case len(pos) == 0:
		return usage()
	case readOnly && pos[0] != "create":
		return usageErrorf("token: --read-only belongs to token create")
	case pos[0] == "list" && len(pos) != 1, pos[0] != "list" && len(pos) != 2:
		return usage()
	case pos[0] != "list" && pos[0] != "create" && pos[0] != "revoke":
		return usageErrorf("token: unknown subcommand %q (want create, list or revoke)", pos[0])
	}
	return a.withStore(ctx, opts, func(_ *config.Config, st store.Store) error {
		err := a.runToken(ctx, ops.NewTokens(st, nil), pos, readOnly)
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"token: " + errText(err)}}
		}
		return nil
	})
}

func isReadOnlyFlag(s string) bool { return s == "--read-only" || s == "-read-only" }

func (a *app) runToken(ctx context.Context, tk *ops.Tokens, pos []string, readOnly bool) error {
	switch pos[0] {
	case "create":
		t, err := tk.Create(ctx, pos[1], readOnly)
		if err != nil {
			return err
		}
		kind := "read-write"
		if readOnly {
			kind = "read-only"
		}
		fmt.Fprintf(a.stderr, "petrel: new %s API token %s (shown once; revoke it with: petrel token revoke %s):\n", kind, t.Name, t.Name)
		fmt.Fprintln(a.stdout, t.Secret)
		return nil
	case "revoke":
		return tk.Revoke(ctx, pos[1])
	}
	list, err := tk.List(ctx)
	for _, t := range list {
		kind := "read-write"
		if t.ReadOnly {
			kind = "read-only"
		}
		fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", t.Name, kind, t.Created.UTC().Format(time.RFC3339))
	}
	return err
}
