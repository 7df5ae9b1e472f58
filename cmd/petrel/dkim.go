package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/ops"
)

const dkimUsage = "usage: petrel dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]"

// dkimCmd runs "petrel dkim generate DOMAIN [--selector S] [--algorithm
// rsa|ed25519]" (ops.DKIM.Generate): it makes a key in
// <data_dir>/dkim/<domain>/ and prints the TXT record to publish (the
// running server signs with the key within seconds).
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
		return usageErrorf("dkim: missing subcommand (generate)")
	case pos[0] != "generate":
		return usageErrorf("dkim: unknown subcommand %q (want generate)", pos[0])
	case len(pos) != 2:
		return usageErrorf(dkimUsage)
	}
	req := ops.GenerateRequest{Domain: pos[1], Selector: selector, Algorithm: algorithm}
	if err := dkimError(req.Validate()); err != nil {
		return err
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	dir := filepath.Join(cfg.DataDir, "dkim")
	res, err := ops.NewDKIM(dir, localDomains{a, opts}, nil).Generate(ctx, req)
	if err != nil {
		return dkimError(err)
	}
	k := res.Key
	if res.LocalErr == nil && !res.Local {
		fmt.Fprintf(a.stderr, "petrel: warning: %s is not a local domain of this server (petrel domain list)\n", k.Domain)
	}
	fmt.Fprintf(a.stderr, "petrel: new %s key for %s, selector %s, in %s; publish this record "+
		"(petrel dns %s prints every record the domain needs):\n", k.Algorithm, k.Domain, k.Selector, k.Path, k.Domain)
	fmt.Fprintln(a.stdout, k.Zone)
	for _, cur := range res.StillSigning {
		fmt.Fprintf(a.stderr, "petrel: %s keeps signing until %s, when the new key takes over: publish its record before then (or remove %s to switch now)\n",
			cur.Selector, res.Takeover.Format(time.RFC3339), cur.Path)
	}
	if res.WantRSA {
		fmt.Fprintf(a.stderr, "petrel: note: many receivers verify only RSA signatures; add an RSA key too: petrel dkim generate %s\n", k.Domain)
	}
	return nil
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
