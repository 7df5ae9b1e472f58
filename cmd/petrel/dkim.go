package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

const (
	dkimUsage       = "usage: petrel dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]"
	dkimRemoveUsage = "usage: petrel dkim remove DOMAIN SELECTOR"
	dkimExportUsage = "usage: petrel dkim export DOMAIN SELECTOR"
)

// dkimCmd runs "petrel dkim generate DOMAIN [--selector S] [--algorithm
// rsa|ed25519]" (ops.DKIM.Generate): it makes a key in the store and
// prints the TXT record to publish (the running server signs with the key
// within seconds); "petrel dkim remove DOMAIN SELECTOR", which retires a
// key; and "petrel dkim export DOMAIN SELECTOR", which prints a key file
// (a backup).
func (a *app) dkimCmd(ctx context.Context, args []string) error {
	selector, args, err := takeValueFlag("dkim", args, "selector")
	if err != nil {
		return err
	}
	algorithm, args, err := takeValueFlag("dkim", args, "algorithm")
	if err != nil {
		return err
	}
	opts, pos, err := parseArgs("dkim", args, false)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErrorf("dkim: missing subcommand (generate, remove or export)")
	case pos[0] == "remove" || pos[0] == "export":
		return a.dkimKeyCmd(ctx, opts, pos, selector != "" || algorithm != "")
	case pos[0] != "generate":
		return usageErrorf("dkim: unknown subcommand %q (want generate, remove or export)", pos[0])
	case len(pos) != 2:
		return usageErrorf(dkimUsage)
	}
	req := ops.GenerateRequest{Domain: pos[1], Selector: selector, Algorithm: algorithm}
	if err := dkimError(req.Validate()); err != nil {
		return err
	}
	var res ops.Generated
	err = a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) (err error) {
		d := a.dkimOps(ctx, cfg, st)
		res, err = d.Generate(ctx, req)
		return dkimError(err)
	})
	if err != nil {
		return err
	}
	k := res.Key
	if res.LocalErr == nil && !res.Local {
		fmt.Fprintf(a.stderr, "petrel: warning: %s is not a local domain of this server (petrel domain list)\n", k.Domain)
	}
	fmt.Fprintf(a.stderr, "petrel: new %s key for %s, selector %s, in the store (back it up with: petrel dkim export %s %s); "+
		"publish this record (petrel dns %s prints every record the domain needs):\n",
		k.Algorithm, k.Domain, k.Selector, k.Domain, k.Selector, k.Domain)
	fmt.Fprintln(a.stdout, k.Zone)
	for _, cur := range res.StillSigning {
		fmt.Fprintf(a.stderr, "petrel: %s keeps signing until %s, when the new key takes over: publish its record before then (or switch now: petrel dkim remove %s %s)\n",
			cur.Selector, res.Takeover.Format(time.RFC3339), cur.Domain, cur.Selector)
	}
	if res.WantRSA {
		fmt.Fprintf(a.stderr, "petrel: note: many receivers verify only RSA signatures; add an RSA key too: petrel dkim generate %s\n", k.Domain)
	}
	return nil
}

// dkimKeyCmd runs "petrel dkim remove|export DOMAIN SELECTOR".
func (a *app) dkimKeyCmd(ctx context.Context, opts options, pos []string, flags bool) error {
	usage := dkimRemoveUsage
	if pos[0] == "export" {
		usage = dkimExportUsage
	}
	if len(pos) != 3 || flags {
		return usageErrorf("%s", usage)
	}
	domain, selector := pos[1], pos[2]
	return a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) error {
		d := a.dkimOps(ctx, cfg, st)
		if pos[0] == "remove" {
			if err := d.Remove(ctx, domain, selector); err != nil {
				return dkimKeyError(err, domain)
			}
			fmt.Fprintf(a.stderr, "petrel: removed the key %s of %s; remove its DNS record a few days from now (mail in transit)\n", selector, domain)
			return nil
		}
		data, err := d.Export(ctx, domain, selector)
		if err != nil {
			return dkimKeyError(err, domain)
		}
		_, err = a.stdout.Write(data)
		return err
	})
}

// dkimKeyError words an error of dkim remove or export.
func dkimKeyError(err error, domain string) error {
	var oe *ops.Error
	if errors.As(err, &oe) && oe.Kind == ops.KindNotFound {
		return &cliError{code: exitFail, lines: []string{fmt.Sprintf("dkim: %s (petrel dns %s lists its keys)", oe.Msg, domain)}}
	}
	return &cliError{code: exitFail, lines: []string{"dkim: " + errText(err)}}
}

// dkimOps is the DKIM operations on an open store, after the key files
// of earlier versions (<data_dir>/dkim) were moved into it (warnings on
// stderr about what was imported and what was left).
func (a *app) dkimOps(ctx context.Context, cfg *config.Config, st store.Store) *ops.DKIM {
	d := ops.NewDKIM(st, directoryOf(cfg, st), nil)
	imp, err := d.Import(ctx, dkimDir(cfg))
	for _, name := range imp.Keys {
		fmt.Fprintf(a.stderr, "petrel: imported the DKIM key file of %s into the store\n", name)
	}
	for _, e := range imp.Skipped {
		fmt.Fprintf(a.stderr, "petrel: warning: %v\n", e)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "petrel: warning: importing the DKIM key files of %s: %s\n", dkimDir(cfg), errText(err))
	}
	return d
}

// dkimError words an error of dkim generate: a bad flag is a usage error,
// a bad domain or a taken selector a failure.
func dkimError(err error) error {
	var oe *ops.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &oe):
		return &cliError{code: exitFail, lines: []string{"dkim: " + err.Error()}}
	case oe.Field == "algorithm":
		return usageErrorf("dkim: --algorithm %s", oe.Msg)
	case oe.Field == "selector" && oe.Kind == ops.KindInvalid:
		return usageErrorf("dkim: --selector: %s", oe.Msg)
	case oe.Kind == ops.KindExists:
		return &cliError{code: exitFail, lines: []string{"dkim: " + oe.Msg + "; choose another with --selector"}}
	}
	return &cliError{code: exitFail, lines: []string{"dkim: " + oe.Msg}}
}

// takeValueFlag removes the flag --name VALUE (also -name, and =VALUE)
// from args, before the flags of parseArgs are parsed, and returns its
// value. Arguments after "--" are left alone.
func takeValueFlag(cmd string, args []string, name string) (string, []string, error) {
	var value string
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		flag, v, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		if !strings.HasPrefix(arg, "-") || flag != name {
			rest = append(rest, arg)
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			v = args[i]
		}
		if v == "" {
			return "", nil, usageErrorf("%s: flag needs an argument: -%s", cmd, name)
		}
		value = v
	}
	return value, rest, nil
}
