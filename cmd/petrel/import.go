package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/mailimport"
	"github.com/petrelmail/petrel/internal/store"
)

// migrationMemoryLimit is the Go heap an import or export aims to stay
// under (runtime/debug.SetMemoryLimit; GOMEMLIMIT overrides it).
const migrationMemoryLimit = 96 << 20

// migrationCacheKiB is the SQLite writer's page cache of an import or
// export: its batches (at most 4 MiB of bodies) need less than a
// server's group commits, and the default 64 MiB costs about twice
// that in resident size (docs/benchmarks.md §Import).
const migrationCacheKiB = 16 << 10

const (
	importUsage = "import: usage: petrel import ADDRESS SOURCE [--format maildir|mbox] [--mailbox NAME] [--new-uids] [--config FILE]\n" +
		"       petrel import ADDRESS imaps://USER@HOST[:PORT] [--password-file FILE] [--ca-file FILE] [--insecure] [--new-uids] [--delete-folders] [--config FILE]"
	exportUsage = "export: usage: petrel export ADDRESS DEST [--format maildir|mbox] [--config FILE]"
)

// importCmd runs "petrel import ADDRESS SOURCE": the mail of a Maildir,
// Dovecot Maildir++ tree, mbox file or tree of mbox files goes into the
// account (README "Migrating to Petrel").
func (a *app) importCmd(ctx context.Context, args []string) error {
	format, args, err := takeValueFlag("import", args, "format")
	if err != nil {
		return err
	}
	mailbox, args, err := takeValueFlag("import", args, "mailbox")
	if err != nil {
		return err
	}
	newUIDs, args := takeBoolFlag(args, "new-uids")
	imapFlags, args, err := takeIMAPFlags(args)
	if err != nil {
		return err
	}
	opts, pos, err := parseArgs("import", args, false)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf(importUsage)
	}
	source := pos[1]
	if isIMAPURL(source) {
		return a.importIMAP(ctx, opts, pos[0], source, imapFlags, newUIDs)
	}
	if format == "" {
		format = detectFormat(source)
	}
	if format != "maildir" && format != "mbox" {
		return usageErrorf("import: --format must be maildir or mbox")
	}
	return a.withMigration(ctx, opts, "import", pos[0], func(ctx context.Context, cfg *config.Config, st store.Store, acct store.AccountID) error {
		release, newUIDs, err := a.uidsWhileServing(cfg, newUIDs)
		if err != nil {
			return err
		}
		defer release()
		maxSize := int64(cfg.Delivery.MaxMessageSize)
		var src mailimport.Source
		switch format {
		case "maildir":
			// A large folder's listing is sorted on disk, in the data directory
			// (a /tmp in memory would count against RAM).
			src = &mailimport.MaildirSource{Root: source, MaxSize: maxSize, NoUIDs: newUIDs, TempDir: cfg.DataDir}
		default:
			src = &mailimport.MboxSource{Path: source, Name: mailbox, MaxSize: maxSize}
		}
		rep, err := mailimport.Import(ctx, st, acct, src, mailimport.Options{NoUIDs: newUIDs,
			Progress: a.progress(), Log: cliLogger(a.stderr, cfg)})
		return a.importReport(rep, err)
	})
}

// importReport prints what an import did and turns its error into the
// command's.
func (a *app) importReport(rep mailimport.Report, err error) error {
	line := fmt.Sprintf("imported %d messages into %d mailboxes (%d were there already, %d skipped; %d mailboxes kept their UIDs) in %s",
		rep.Added, rep.Folders, rep.Present, rep.Skipped, rep.KeptUIDs, rep.Elapsed.Round(time.Millisecond))
	if rep.Updated > 0 || rep.Expunged > 0 {
		line += fmt.Sprintf("; %d had their flags changed, %d were expunged", rep.Updated, rep.Expunged)
	}
	fmt.Fprintln(a.stdout, line)
	if err != nil {
		hint := "run the command again: it resumes where it stopped"
		if errors.Is(err, mailimport.ErrOverQuota) {
			hint = "raise the quota (petrel user quota) and run the command again: it resumes"
		}
		return &cliError{code: exitFail, lines: []string{"import: " + errText(err) + " (" + hint + ")"}}
	}
	return nil
}

// exportCmd runs "petrel export ADDRESS DEST": every mailbox of the
// account goes to a Maildir++ tree (with dovecot-uidlist) or to mbox
// files below DEST.
func (a *app) exportCmd(ctx context.Context, args []string) error {
	format, args, err := takeValueFlag("export", args, "format")
	if err != nil {
		return err
	}
	opts, pos, err := parseArgs("export", args, false)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf(exportUsage)
	}
	f := mailimport.Maildir
	switch format {
	case "", "maildir":
	case "mbox":
		f = mailimport.Mbox
	default:
		return usageErrorf("export: --format must be maildir or mbox")
	}
	return a.withMigration(ctx, opts, "export", pos[0], func(ctx context.Context, _ *config.Config, st store.Store, acct store.AccountID) error {
		rep, err := mailimport.Export(ctx, st, acct, pos[1], f, a.progress())
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"export: " + errText(err) + " (run the command again: it writes the files again)"}}
		}
		fmt.Fprintf(a.stdout, "exported %d messages of %d mailboxes to %s in %s\n", rep.Messages, rep.Mailboxes, pos[1],
			rep.Elapsed.Round(time.Millisecond))
		for _, name := range rep.Skipped {
			fmt.Fprintf(a.stdout, "skipped mailbox %q: a Maildir++ folder name cannot hold \".\" (export it with --format mbox)\n", name)
		}
		if rep.DroppedKeywords > 0 {
			fmt.Fprintf(a.stdout, "%d keywords beyond the 26 a Maildir folder can name were left out\n", rep.DroppedKeywords)
		}
		return nil
	})
}

// withMigration opens the store for an import or an export of the
// account that has address. The server may run meanwhile (README
// "Migrating to Petrel"): the store serialises the writes of both
// processes, and a running server learns of the import's messages from
// its change feed. An import holds the account's import lease, so that a
// second import into the same account is refused.
func (a *app) withMigration(ctx context.Context, opts options, cmd, address string,
	f func(context.Context, *config.Config, store.Store, store.AccountID) error) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		// The collector runs sooner rather than let garbage double the
		// heap of a long import (docs/benchmarks.md §Import).
		debug.SetMemoryLimit(migrationMemoryLimit)
	}
	return a.withStoreCache(ctx, opts, migrationCacheKiB, func(cfg *config.Config, st store.Store) error {
		addr, err := mailaddr.Parse(address)
		if err == nil {
			addr, err = mailaddr.Canonical(addr)
		}
		if err != nil {
			return usageErrorf("%s: %q is not an address", cmd, address)
		}
		acct, err := st.LookupAddress(ctx, addr.String())
		if store.IsKind(err, store.KindNotFound) {
			return &cliError{code: exitFail, lines: []string{fmt.Sprintf("%s: no account has the address %s (petrel user add)", cmd, addr)}}
		}
		if err != nil {
			return err
		}
		if cmd != "import" {
			return f(ctx, cfg, st, acct)
		}
		return withImportLease(ctx, st, cfg.DataDir, acct, func(ctx context.Context) error {
			return f(ctx, cfg, st, acct)
		}, func() error {
			return &cliError{code: exitFail, lines: []string{fmt.Sprintf("import: another import into %s is running: wait for it to end", addr)}}
		})
	})
}

// importLeaseTTL is how long an import's lease outlives its process: a
// killed import's account is free again after it.
const importLeaseTTL = 30 * time.Second

// importLeaseName names the lease that an import into account holds.
func importLeaseName(account store.AccountID) string {
	return fmt.Sprintf("import/%d", account)
}

// withImportLease runs f holding the import lease of account, with a
// context that ends when the lease is lost; busy's error when another
// import holds it. The lease's owner names the host only, and imports on
// one host exclude each other by a lock file in dataDir, which the
// kernel releases with its process: so an import run again after a
// kill -9 on the same host takes its lease over at once, while one on
// another node waits for the lease to run out (importLeaseTTL).
func withImportLease(ctx context.Context, st store.Store, dataDir string, account store.AccountID,
	f func(context.Context) error, busy func() error) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory: %w", err)
	}
	path := filepath.Join(dataDir, fmt.Sprintf("import-%d.lock", account))
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		return busy()
	} else if err != nil {
		return fmt.Errorf("locking %s: %w", path, err)
	}
	host, _ := os.Hostname()
	owner := "petrel import on " + host
	lease, err := store.AcquireLease(ctx, st, importLeaseName(account), owner, importLeaseTTL)
	if err != nil {
		return err
	}
	if lease == nil {
		return busy()
	}
	defer lease.Release(context.WithoutCancel(ctx))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-lease.Lost():
			cancel(errors.New("the import lease was lost (the store unreachable)"))
		case <-ctx.Done():
		}
	}()
	return f(ctx)
}

// detectFormat guesses a source's format: a directory with cur/, or with
// Maildir++ folders, is a Maildir; anything else mbox.
func detectFormat(path string) string {
	if st, err := os.Stat(filepath.Join(path, "cur")); err == nil && st.IsDir() {
		return "maildir"
	}
	if ms, _ := filepath.Glob(filepath.Join(path, ".*", "cur")); len(ms) > 0 {
		return "maildir"
	}
	return "mbox"
}

// progress shows an import's or export's progress on standard error: a
// line rewritten in place on a terminal, a line every 10 seconds
// otherwise.
func (a *app) progress() *mailimport.Progress {
	return &mailimport.Progress{W: a.stderr, Terminal: isTerminal(a.stderr)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// takeBoolFlag removes the flag --name from args and reports whether it
// was there.
func takeBoolFlag(args []string, name string) (bool, []string) {
	rest := make([]string, 0, len(args))
	found := false
	for i, arg := range args {
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if arg == "--"+name || arg == "-"+name {
			found = true
			continue
		}
		rest = append(rest, arg)
	}
	return found, rest
}

// uidsWhileServing decides whether an import may keep the source's UIDs.
// Kept UIDs go below the UIDNEXT that the mailbox shows from the start of
// the import, and deliveries into the mailbox meanwhile would take UIDs
// among them: so that no IMAP client sees UIDs out of order (RFC 9051
// §2.3.1.1), they are kept only while no server runs on the data
// directory, whose lock the import then holds to the end (README
// "Migrating to Petrel"). With a server running, the messages get new
// UIDs, and the import says so.
func (a *app) uidsWhileServing(cfg *config.Config, newUIDs bool) (release func(), noUIDs bool, err error) {
	if newUIDs {
		return func() {}, true, nil
	}
	release, err = lockDataDir(cfg.DataDir)
	if errors.Is(err, errServing) {
		fmt.Fprintln(a.stderr, "import: petrel serve is running: the messages get new UIDs (stop the server to keep the source's UIDs)")
		return func() {}, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return release, false, nil
}
