package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/store"
)

const sieveUsage = "usage: petrel sieve list ADDRESS | put ADDRESS NAME < SCRIPT | get ADDRESS NAME | " +
	"activate ADDRESS NAME | deactivate ADDRESS | delete ADDRESS NAME | check < SCRIPT"

// maxSieveInput bounds a script read from standard input.
const maxSieveInput = 1 << 20

// sieveCmd runs "petrel sieve": the Sieve scripts of accounts (README
// "Filters and vacation"), kept in the store; check compiles a script
// from standard input and prints its errors with line and column.
func (a *app) sieveCmd(ctx context.Context, args []string) error {
	opts, pos, err := parseArgs("sieve", args, false)
	if err != nil {
		return err
	}
	want := map[string]int{"list": 2, "put": 3, "get": 3, "activate": 3, "deactivate": 2, "delete": 3, "check": 1}
	if len(pos) == 0 || want[pos[0]] == 0 || len(pos) != want[pos[0]] {
		return usageErrorf(sieveUsage)
	}
	var src []byte
	if pos[0] == "put" || pos[0] == "check" {
		if src, err = io.ReadAll(io.LimitReader(a.stdin, maxSieveInput+1)); err != nil {
			return err
		}
		if len(src) > maxSieveInput {
			return &cliError{code: exitFail, lines: []string{"sieve: the script is over 1 MiB"}}
		}
	}
	if pos[0] == "check" {
		if err := sievescripts.New(nil, sieve.Limits{}).Check(src); err != nil {
			return &cliError{code: exitFail, lines: []string{"sieve: " + err.Error()}}
		}
		fmt.Fprintln(a.stdout, "ok")
		return nil
	}
	return a.withStore(ctx, opts, func(_ *config.Config, st store.Store) error {
		addr, err := canonicalAccount(ctx, st, pos[1])
		if err != nil {
			return err
		}
		if err := a.runSieve(ctx, sievescripts.New(st, sieve.Limits{}), addr, pos, src); err != nil {
			return &cliError{code: exitFail, lines: []string{"sieve: " + errText(err)}}
		}
		return nil
	})
}

// canonicalAccount is the primary address of the account addr reaches.
func canonicalAccount(ctx context.Context, st store.Store, addr string) (string, error) {
	id, err := st.LookupAddress(ctx, addr)
	if err == nil {
		var acct store.Account
		if acct, err = st.Account(ctx, id); err == nil {
			return acct.Address, nil
		}
	}
	return "", &cliError{code: exitFail, lines: []string{fmt.Sprintf("sieve: no account %s", addr)}}
}

func (a *app) runSieve(ctx context.Context, s *sievescripts.Scripts, addr string, pos []string, src []byte) error {
	switch pos[0] {
	case "list":
		infos, err := s.List(ctx, addr)
		if err != nil {
			return err
		}
		for _, i := range infos {
			mark := ""
			if i.Active {
				mark = "  (active)"
			}
			fmt.Fprintf(a.stdout, "%s  %d B%s\n", i.Name, i.Size, mark)
		}
		return nil
	case "put":
		return s.Put(ctx, addr, pos[2], src)
	case "get":
		b, err := s.Get(ctx, addr, pos[2])
		if err == nil {
			_, err = a.stdout.Write(b)
		}
		return err
	case "activate":
		return s.Activate(ctx, addr, pos[2])
	case "deactivate":
		return s.Activate(ctx, addr, "")
	case "delete":
		return s.Delete(ctx, addr, pos[2])
	}
	return errors.New("unknown sieve subcommand")
}
