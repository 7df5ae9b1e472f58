package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/postgres"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// loadConfig finds and loads the configuration. demo is true when there is
// no file, and the defaults (the local demo) apply. Every problem of the
// file is returned, one line each, with exit status 2.
func loadConfig(flagPath string) (cfg *config.Config, demo bool, err error) {
	path, found := config.Locate(flagPath)
	if !found {
		return config.Default(), true, nil
	}
	cfg, errs := config.Load(path)
	if len(errs) == 0 {
		return cfg, false, nil
	}
	ce := &cliError{code: exitUsage}
	for _, e := range errs {
		var keyErr *config.Error
		if errors.As(e, &keyErr) {
			ce.lines = append(ce.lines, path+": "+e.Error())
		} else {
			ce.lines = append(ce.lines, "config: "+e.Error())
		}
	}
	return nil, false, ce
}

// openStore opens the configured storage backend. It is the one place that
// chooses a backend (docs/architecture.md §Layers). The server passes its
// metrics (the CLI nil) and server=true, which lets the backend clean up after
// a crash.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, m *obs.Metrics, server bool) (store.Store, error) {
	return openStoreCache(ctx, cfg, log, m, server, 0)
}

// openStoreCache is openStore with the SQLite writer's page cache of
// cacheKiB (0: the default).
func openStoreCache(ctx context.Context, cfg *config.Config, log *slog.Logger, m *obs.Metrics, server bool, cacheKiB int) (store.Store, error) {
	switch cfg.Storage.Driver {
	case "sqlite":
		opts := sqlite.Options{Dir: cfg.DataDir, Logger: log, SweepOrphans: server, TextExtractor: imapmsg.IndexText,
			IndexInBackground: server, CacheKiB: cacheKiB}
		if server {
			opts.Reserve = int64(cfg.Storage.DeletionReserve)
		} else {
			opts.WatchInterval = -1 // a command has no sessions to tell
		}
		if m != nil {
			opts.Metrics = m
		}
		st, err := sqlite.Open(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("cannot open the store in %s: %w", cfg.DataDir, err)
		}
		return st, nil
	case "postgres":
		// A command has no sessions to tell of other nodes' changes.
		opts := postgres.Options{Logger: log, SweepOrphans: server, NoListen: !server, TextExtractor: imapmsg.IndexText, IndexInBackground: server}
		if m != nil {
			opts.Metrics = m
		}
		st, err := postgres.Open(ctx, cfg.Storage.DSN, opts)
		if err != nil {
			return nil, fmt.Errorf("cannot open the PostgreSQL store: %w", err)
		}
		return st, nil
	}
	return nil, usageErrorf("storage.driver: unknown driver %q", cfg.Storage.Driver)
}

// cliLogger is the logger of the administration commands: warnings and
// errors only, so that their output stays the command's own.
func cliLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	level := "warn"
	if cfg.Log.Level == "error" {
		level = "error"
	}
	log, err := obs.NewLogger(w, level, cfg.Log.Format)
	if err != nil {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return log
}

// errText is the message of err for an operator: a store error's cause
// without the "store: op: kind:" prefix (ops.Message).
func errText(err error) string { return ops.Message(err) }

// Set at release build time with -ldflags "-X main.version=v1.2.3
// -X main.revision=abc123" (README "Building a release"); the linker can
// only set package-level string variables, and nothing else writes them.
var (
	version  string
	revision string
)

// versionString describes this build: module version, VCS revision, Go
// version.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return describeBuild(version, revision, bi)
}

// describeBuild words the version: the -X values win; otherwise the
// module version and VCS revision that the go command stamped (go build
// in a checkout, go install module@version). What is unknown says so.
func describeBuild(ver, rev string, bi *debug.BuildInfo) string {
	goVersion := "unknown Go"
	modified := false
	if bi != nil {
		goVersion = bi.GoVersion
		if ver == "" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = true
			}
		}
	}
	if ver == "" || ver == "(devel)" {
		ver = "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		rev = "rev unknown"
	case modified:
		rev = "rev " + rev + "+modified"
	default:
		rev = "rev " + rev
	}
	return strings.Join([]string{ver, rev, goVersion}, " ")
}

func (a *app) version(args []string) error {
	_, pos, err := parseArgs("version", args, false)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("version: unexpected argument %q", pos[0])
	}
	fmt.Fprintln(a.stdout, "petrel", versionString())
	return nil
}
