package main

import (
	"context"
	"fmt"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

const indexUsage = "index: usage: petrel index rebuild [--account ADDRESS] [--config FILE]"

// indexCmd runs "petrel index rebuild [--account ADDRESS]": the messages
// stored before the full-text index existed go into it (README
// "Full-text search"); until then SEARCH reads them.
func (a *app) indexCmd(ctx context.Context, args []string) error {
	account, args, err := takeValueFlag("index", args, "account")
	if err != nil {
		return err
	}
	opts, pos, err := parseArgs("index", args, false)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "rebuild" {
		return usageErrorf(indexUsage)
	}
	return a.withStore(ctx, opts, func(_ *config.Config, st store.Store) error {
		n, err := ops.RebuildTextIndex(ctx, st, account)
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"index rebuild: " + errText(err)}}
		}
		fmt.Fprintf(a.stdout, "indexed %d messages\n", n)
		return nil
	})
}
