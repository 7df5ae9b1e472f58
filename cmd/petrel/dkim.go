package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

const (
	dkimUsage       = "usage: petrel dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]"
	dkimRemoveUsage = "usage: petrel dkim remove DOMAIN SELECTOR"
	dkimExportUsage = "usage: petrel dkim export DOMAIN SELECTOR"
)

// dkimCmd runs "petrel dkim generate DOMAIN [--selector S] [--algorithm
// rsa|ed25519]": it makes a key in the store (internal/dkim KeyStore) and
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
	var k *dkim.Key
	err = a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) error {
		a.importDKIMFiles(ctx, cfg, st)
		k, err = dkim.Generate(ctx, st, domain, selector, algorithm, time.Now())
		if errors.Is(err, dkim.ErrExists) {
			return &cliError{code: exitFail, lines: []string{fmt.Sprintf(
				"dkim: %s already has a key with the selector %s; choose another with --selector",
				domain, selectorOrDefault(selector, algorithm))}}
		}
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"dkim: " + errText(err)}}
		}
		fmt.Fprintf(a.stderr, "petrel: new %s key for %s, selector %s, in the store (back it up with: petrel dkim export %s %s); "+
			"publish this record (petrel dns %s prints every record the domain needs):\n",
			k.Algorithm, k.Domain, k.Selector, k.Domain, k.Selector, k.Domain)
		fmt.Fprintln(a.stdout, k.ZoneRecord())
		a.noteSigning(ctx, st, k)
		return nil
	})
	if err != nil {
		return err
	}
	a.warnNotLocal(ctx, opts, domain)
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
	return a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) error {
		a.importDKIMFiles(ctx, cfg, st)
		var err error
		if pos[0] == "remove" {
			if err = dkim.Remove(ctx, st, pos[1], pos[2]); err == nil {
				fmt.Fprintf(a.stderr, "petrel: removed the key %s of %s; remove its DNS record a few days from now (mail in transit)\n", pos[2], pos[1])
			}
		} else {
			var data []byte
			if data, err = dkim.Export(ctx, st, pos[1], pos[2]); err == nil {
				_, err = a.stdout.Write(data)
			}
		}
		if errors.Is(err, dkim.ErrNoKey) {
			return &cliError{code: exitFail, lines: []string{fmt.Sprintf("dkim: %s has no key with the selector %s (petrel dns %s lists its keys)", pos[1], pos[2], pos[1])}}
		}
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"dkim: " + errText(err)}}
		}
		return nil
	})
}

// importDKIMFiles moves the key files of earlier versions
// (<data_dir>/dkim) into the store once (dkim.Import), and warns on
// stderr about what it left there.
func (a *app) importDKIMFiles(ctx context.Context, cfg *config.Config, st store.Store) {
	imported, skipped, err := dkim.Import(ctx, st, dkimDir(cfg))
	for _, name := range imported {
		fmt.Fprintf(a.stderr, "petrel: imported the DKIM key file of %s into the store\n", name)
	}
	for _, e := range skipped {
		fmt.Fprintf(a.stderr, "petrel: warning: %v\n", e)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "petrel: warning: importing the DKIM key files of %s: %s\n", dkimDir(cfg), errText(err))
	}
}

// noteSigning says on stderr which key signs now when it is not the new
// one (rotation, dkim.ActivationDelay), and that an Ed25519 key wants an
// RSA key beside it.
func (a *app) noteSigning(ctx context.Context, ks dkim.KeyStore, k *dkim.Key) {
	ring, err := dkim.Load(ctx, ks)
	if err != nil {
		return
	}
	hasRSA := false
	for _, cur := range ring.Active(k.Domain, time.Now()) {
		hasRSA = hasRSA || cur.Algorithm == dkim.RSA
		if cur.Algorithm == k.Algorithm && cur.Selector != k.Selector {
			fmt.Fprintf(a.stderr, "petrel: %s keeps signing until %s, when the new key takes over: publish its record before then (or switch now: petrel dkim remove %s %s)\n",
				cur.Selector, k.Created.Add(dkim.ActivationDelay).Format(time.RFC3339), cur.Domain, cur.Selector)
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
