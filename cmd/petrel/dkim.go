package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

const dkimUsage = "usage: petrel dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]"

// dkimCmd runs "petrel dkim generate DOMAIN [--selector S] [--algorithm
// rsa|ed25519]": it makes a key in <data_dir>/dkim/<domain>/ and prints
// the TXT record to publish (the running server signs with the key within
// seconds).
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
	case algorithm != "" && algorithm != dkim.RSA && algorithm != dkim.Ed25519:
		return usageErrorf("dkim: --algorithm must be rsa or ed25519, not %q", algorithm)
	}
	if selector != "" {
		if err := dkim.CheckSelector(strings.ToLower(selector)); err != nil {
			return usageErrorf("dkim: --selector: %v", err)
		}
	}
	domain, err := mailaddr.CanonicalDomain(pos[1])
	if err != nil {
		return &cliError{code: exitFail, lines: []string{"dkim: " + err.Error()}}
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	dir := filepath.Join(cfg.DataDir, "dkim")
	k, err := dkim.Generate(dir, domain, selector, algorithm, time.Now())
	if errors.Is(err, dkim.ErrExists) {
		return &cliError{code: exitFail, lines: []string{fmt.Sprintf(
			"dkim: %s already has a key with the selector %s; choose another with --selector",
			domain, selectorOrDefault(selector, algorithm))}}
	}
	if err != nil {
		return &cliError{code: exitFail, lines: []string{"dkim: " + err.Error()}}
	}
	a.warnNotLocal(ctx, opts, domain)
	fmt.Fprintf(a.stderr, "petrel: new %s key for %s, selector %s, in %s; publish this record "+
		"(petrel dns %s prints every record the domain needs):\n", k.Algorithm, k.Domain, k.Selector, k.Path, k.Domain)
	fmt.Fprintln(a.stdout, k.ZoneRecord())
	a.noteSigning(dir, k)
	return nil
}

// noteSigning says on stderr which key signs now when it is not the new
// one (rotation, dkim.ActivationDelay), and that an Ed25519 key wants an
// RSA key beside it.
func (a *app) noteSigning(dir string, k *dkim.Key) {
	ring, err := dkim.Load(dir)
	if err != nil {
		return
	}
	hasRSA := false
	for _, cur := range ring.Active(k.Domain, time.Now()) {
		hasRSA = hasRSA || cur.Algorithm == dkim.RSA
		if cur.Algorithm == k.Algorithm && cur.Selector != k.Selector {
			fmt.Fprintf(a.stderr, "petrel: %s keeps signing until %s, when the new key takes over: publish its record before then (or remove %s to switch now)\n",
				cur.Selector, k.Created.Add(dkim.ActivationDelay).Format(time.RFC3339), cur.Path)
		}
	}
	if k.Algorithm == dkim.Ed25519 && !hasRSA {
		// RFC 8463 §6: Ed25519 signatures come with RSA ones, which every
		// verifier knows.
		fmt.Fprintf(a.stderr, "petrel: note: many receivers verify only RSA signatures; add an RSA key too: petrel dkim generate %s\n", k.Domain)
	}
}

func selectorOrDefault(selector, algorithm string) string {
	if selector != "" {
		return strings.ToLower(selector)
	}
	return dkim.DefaultSelector(algorithm, time.Now())
}

// warnNotLocal warns on stderr when domain is not one of the server's
// domains (a key is still made: it may sign for a subdomain's mail).
func (a *app) warnNotLocal(ctx context.Context, opts options, domain string) {
	var local bool
	err := a.withAccounts(ctx, opts, func(svc *accounts.Service) (err error) {
		local, err = svc.IsLocalDomain(ctx, domain)
		return err
	})
	if err == nil && !local {
		fmt.Fprintf(a.stderr, "petrel: warning: %s is not a local domain of this server (petrel domain list)\n", domain)
	}
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
