package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/petrelmail/petrel/internal/backup"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

const backupUsage = "usage: petrel backup [--verbose] DEST | backup verify BACKUP | restore BACKUP DATADIR"

// backupCmd runs "petrel backup DEST" and "petrel backup verify BACKUP"
// (README "Backup and restore", internal/backup). A backup runs beside a
// running server: it takes no serve lock and writes nothing into the data
// directory (SQLite's snapshot reads the database like any reader).
func (a *app) backupCmd(ctx context.Context, args []string) error {
	verbose := false
	rest := args[:0:0]
	for _, arg := range args {
		if arg == "--verbose" || arg == "-verbose" || arg == "-v" {
			verbose = true
			continue
		}
		rest = append(rest, arg)
	}
	opts, pos, err := parseArgs("backup", rest, false)
	if err != nil {
		return err
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 2 && pos[0] == "verify":
		return a.backupVerify(ctx, cfg, pos[1])
	case len(pos) != 1:
		return usageErrorf(backupUsage)
	}
	return a.backupRun(ctx, cfg, opts.config, pos[0], verbose)
}

func (a *app) backupRun(ctx context.Context, cfg *config.Config, configFlag, dest string, verbose bool) (err error) {
	if inside(dest, cfg.DataDir) {
		return usageErrorf("backup: %s is inside the data directory %s: back up elsewhere", dest, cfg.DataDir)
	}
	files, err := backupFiles(cfg, configFlag)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return err
	}
	release, err := lockBackup(dest)
	if err != nil {
		return err
	}
	defer release()
	opts := backup.Options{DataDir: cfg.DataDir, Dest: dest, Driver: cfg.Storage.Driver, Files: files,
		Progress: a.stdout, Verbose: verbose}
	if cfg.Storage.Driver == "sqlite" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, sqlite.DBFile)); err != nil {
			return fmt.Errorf("backup: no store in the data directory %s (is --config the server's configuration?): %w", cfg.DataDir, err)
		}
		opts.DB = sqliteBackup(a.stderr, cfg)
	} else {
		st, err := openStore(ctx, cfg, cliLogger(a.stderr, cfg), nil, false)
		if err != nil {
			return err
		}
		defer closeStore(st, &err)
		opts.Live = st
	}
	rep, err := backup.Run(ctx, opts)
	if err != nil {
		return fmt.Errorf("backup: %s (run it again: it goes on where it stopped)", errText(err))
	}
	var msgs int64
	for _, s := range rep.Manifest.Mailboxes {
		msgs += s.Messages
	}
	fmt.Fprintf(a.stdout, "backup %s complete in %s: %d mailboxes, %d messages, %d body files (%d new, %d bytes copied), %d other files; "+
		"removed %d older snapshots and %d body files; peak RSS %d MiB\n",
		filepath.Join(dest, rep.Snapshot), rep.Elapsed.Round(1e6), len(rep.Manifest.Mailboxes), msgs, rep.Manifest.BlobFiles,
		rep.BlobsCopied, rep.BytesCopied, len(rep.Manifest.Files), rep.SnapsRemoved, rep.BlobsRemoved, peakRSS()>>20)
	if cfg.Storage.Driver != "sqlite" {
		fmt.Fprintln(a.stdout, "the database itself is not in this backup: take it with pg_dump (README \"Backup and restore\")")
	}
	return nil
}

// sqliteBackup is the SQLite side of a backup, opening stores as the
// commands do.
func sqliteBackup(stderr io.Writer, cfg *config.Config) sqlite.Backup {
	return sqlite.Backup{Options: sqlite.Options{Logger: cliLogger(stderr, cfg), TextExtractor: imapmsg.IndexText}}
}

// backupFiles lists the files outside the database that a backup keeps:
// the configuration file, the certificates and keys of <data_dir>/tls
// (ACME's are in the store), the configured tls.cert and tls.key, the
// key files below <data_dir>/dkim (DOMAIN/SELECTOR.pem, README "DKIM
// keys"; the keys themselves are in the store), and the initial password
// file.
func backupFiles(cfg *config.Config, configFlag string) ([]backup.File, error) {
	var files []backup.File
	if path, found := config.Locate(configFlag); found {
		files = append(files, backup.File{Name: "config/" + filepath.Base(path), Path: path})
	}
	for _, p := range []string{cfg.TLS.Cert, cfg.TLS.Key} {
		if p != "" && !inside(p, cfg.DataDir) {
			files = append(files, backup.File{Name: "config/" + filepath.Base(p), Path: p})
		}
	}
	for _, dir := range []struct{ name, path string }{{"tls", certs.Dir(cfg.DataDir)}, {"dkim", filepath.Join(cfg.DataDir, "dkim")}} {
		err := filepath.WalkDir(dir.path, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == dir.path {
				return fs.SkipDir
			}
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(dir.path, p)
			files = append(files, backup.File{Name: dir.name + "/" + filepath.ToSlash(rel), Path: p})
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if p := filepath.Join(cfg.DataDir, initialPassword); fileExists(p) {
		files = append(files, backup.File{Name: initialPassword, Path: p})
	}
	return files, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// inside reports whether path is dir or below it.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && filepath.IsLocal(rel)
}

// lockBackup keeps two backups from writing into one directory at once.
func lockBackup(dest string) (release func(), err error) {
	path := filepath.Join(dest, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("backup: another backup is writing into %s", dest)
	}
	return func() { f.Close() }, nil
}

// peakRSS is the process's peak resident set size in bytes: VmHWM of
// /proc/self/status, which starts again at exec (getrusage's maxrss
// keeps the high-water mark of the process that forked this one), else
// getrusage's.
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kib int64
			if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kib); err == nil {
				return kib << 10
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10 // KiB on Linux
}

// backupVerify checks a backup: on its own for SQLite; for PostgreSQL,
// its files, and its mailboxes against the configured store (restored
// with pg_restore).
func (a *app) backupVerify(ctx context.Context, cfg *config.Config, path string) (err error) {
	m, err := backup.VerifyBackup(ctx, path, sqliteBackup(a.stderr, cfg), a.stdout)
	if err != nil {
		return fmt.Errorf("backup verify: %s", errText(err))
	}
	if m.Driver == "sqlite" {
		return nil
	}
	if cfg.Storage.Driver != m.Driver {
		return usageErrorf("backup verify: the backup is of a %s store; --config names a %s one", m.Driver, cfg.Storage.Driver)
	}
	st, err := openStore(ctx, cfg, cliLogger(a.stderr, cfg), nil, false)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	if err := backup.VerifyStore(ctx, st, m, a.stdout); err != nil {
		return fmt.Errorf("backup verify: %s", errText(err))
	}
	return nil
}

// restoreCmd runs "petrel restore BACKUP DATADIR".
func (a *app) restoreCmd(ctx context.Context, args []string) error {
	opts, pos, err := parseArgs("restore", args, false)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf(backupUsage)
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	m, err := backup.Restore(ctx, backup.RestoreOptions{Backup: pos[0], DataDir: pos[1],
		DB: sqliteBackup(a.stderr, cfg), Progress: a.stdout})
	if err != nil {
		return fmt.Errorf("restore: %s", errText(err))
	}
	for _, f := range m.Files {
		if strings.HasPrefix(f.Name, "config/") {
			fmt.Fprintf(a.stdout, "%s (from %s) is in %s\n", filepath.Base(f.Name), f.Origin, filepath.Join(pos[1], filepath.FromSlash(f.Name)))
		}
	}
	if m.Driver == "sqlite" {
		fmt.Fprintf(a.stdout, "restored: point data_dir at %s in the configuration, then start petrel serve\n", pos[1])
	} else {
		fmt.Fprintf(a.stdout, "restored the files outside the database; restore the database with pg_restore, "+
			"then run petrel backup verify %s with the new configuration\n", pos[0])
	}
	return nil
}
