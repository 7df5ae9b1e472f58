package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/storecopy"
)

const storeCopyUsage = "store: usage: petrel store copy --to-config NEW.toml [--config FILE]"

// storeCmd runs "petrel store copy --to-config NEW.toml": the store of the
// current configuration is copied into the store NEW.toml names, with
// every identity IMAP clients keep (README "Moving to PostgreSQL",
// docs/architecture.md §Store copy).
func (a *app) storeCmd(ctx context.Context, args []string) error {
	to, args, err := takeValueFlag("store", args, "to-config")
	if err != nil {
		return err
	}
	opts, pos, err := parseArgs("store", args, false)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0 || pos[0] != "copy":
		return usageErrorf("store: unknown or missing subcommand (want copy)")
	case len(pos) != 1 || to == "":
		return usageErrorf(storeCopyUsage)
	}
	srcCfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	dstCfg, _, err := loadConfig(to)
	if err != nil {
		return err
	}
	if sameStore(srcCfg, dstCfg) {
		return usageErrorf("store copy: %s names the same store as the current configuration", to)
	}
	if srcCfg.Storage.Driver == "sqlite" {
		// Opening a store creates it: a wrong --config would copy an
		// empty store, and leave one behind.
		if _, err := os.Stat(filepath.Join(srcCfg.DataDir, "petrel.db")); err != nil {
			return fmt.Errorf("store copy: no store to copy in the data directory %s (is --config the configuration of the server to move?): %w",
				srcCfg.DataDir, err)
		}
	}
	// A server on either data directory would change a store under the
	// copy: take their serve locks (datalock.go) for the copy's life,
	// which also keeps a server from starting meanwhile.
	sides := []struct{ name, dir string }{{"source", srcCfg.DataDir}, {"destination", dstCfg.DataDir}}
	if sameDir(srcCfg.DataDir, dstCfg.DataDir) {
		sides = sides[:1] // SQLite to PostgreSQL keeping the data directory
	}
	for _, side := range sides {
		release, err := lockDataDir(side.dir)
		if errors.Is(err, errServing) {
			return fmt.Errorf("store copy: petrel serve is running on the %s data directory %s: stop it first", side.name, side.dir)
		}
		if err != nil {
			return err
		}
		defer release()
	}
	return a.copyStores(ctx, srcCfg, dstCfg)
}

// sameStore reports whether two configurations name one store.
func sameStore(a, b *config.Config) bool {
	if a.Storage.Driver != b.Storage.Driver {
		return false
	}
	if a.Storage.Driver == "postgres" {
		return a.Storage.DSN == b.Storage.DSN
	}
	return sameDir(a.DataDir, b.DataDir)
}

func sameDir(a, b string) bool {
	da, err1 := filepath.Abs(a)
	db, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && da == db
}

// copyStores opens both stores and copies, printing the progress and the
// verification of every mailbox.
func (a *app) copyStores(ctx context.Context, srcCfg, dstCfg *config.Config) (err error) {
	open := func(cfg *config.Config) (store.Store, error) {
		return openStore(ctx, cfg, cliLogger(a.stderr, cfg), nil, false)
	}
	srcStore, err := open(srcCfg)
	if err != nil {
		return err
	}
	defer closeStore(srcStore, &err)
	dstStore, err := open(dstCfg)
	if err != nil {
		return err
	}
	defer closeStore(dstStore, &err)
	rep, err := storecopy.Copy(ctx, srcStore, dstStore, storecopy.Options{Progress: a.stdout, Source: describeStore(srcCfg)})
	if err != nil {
		return fmt.Errorf("store copy: %s (run the command again: it resumes where it stopped)", errText(err))
	}
	fmt.Fprintf(a.stdout, "copied %d messages (%d were there already) of %d accounts in %d mailboxes, %d domains, %d aliases, "+
		"%d access rights entries, %d queued messages, %d key/value entries in %s; every mailbox verified the same\n",
		rep.Added, rep.Present, rep.Accounts, rep.Mailboxes, rep.Domains, rep.Aliases, rep.ACLs, rep.Queued, rep.KV,
		rep.Elapsed.Round(time.Millisecond))
	return nil
}

func closeStore(st store.Store, err *error) {
	if cerr := st.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("closing the store: %w", cerr)
	}
}

// describeStore names a store without secrets (a DSN may hold a
// password).
func describeStore(cfg *config.Config) string {
	if cfg.Storage.Driver == "sqlite" {
		return "sqlite " + cfg.DataDir
	}
	return cfg.Storage.Driver
}
