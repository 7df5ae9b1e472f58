package main

import (
	"context"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/petrelmail/petrel/internal/autoconfig"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/webui"
)

// webUI is the web admin (/admin/) and account page (/account/) of README
// "Web and API", on the same operations as the CLI and the admin API;
// sampler (nil: no charts) feeds the dashboard.
func webUI(d deps, sampler *webui.Sampler) *webui.UI {
	cfg := d.cfg
	api := apiDeps(d)
	space := spool.NewSpace(cfg.DataDir, 0)
	ui := webui.Deps{
		Directory: api.Directory,
		Queue:     api.Queue,
		DKIM:      api.DKIM,
		DNS:       api.DNS,
		Logins:    d.accounts,
		Sessions:  d.st,
		Setup:     autoconfig.FromConfig(cfg),
		Sampler:   sampler,
		Scripts:   sievescripts.New(d.st, sieve.Limits{}),
		Networks:  cfg.HTTP.AdminPrefixes(),
		Log:       d.log.With("component", "webui"),
		Status: func(context.Context) webui.Status {
			st := webui.Status{DiskFree: -1, StoreSize: dirSize(cfg.DataDir)}
			if n, ok := space.Free(); ok {
				st.DiskFree = n
			}
			return st
		},
	}
	if d.guard != nil {
		ui.Guard = d.guard
	}
	return webui.New(ui)
}

// newSampler samples the server's metrics for the dashboard; nil without
// metrics.
func newSampler(d deps) *webui.Sampler {
	if d.metrics == nil || d.metrics.Registry == nil {
		return nil
	}
	return webui.NewSampler(d.metrics.Registry, 5*time.Minute, nil)
}

// runWebUI samples the metrics and purges the expired sessions until ctx
// ends.
func runWebUI(ctx context.Context, ui *webui.UI, sampler *webui.Sampler) {
	if sampler != nil {
		go sampler.Run(ctx)
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ui.PurgeSessions(ctx)
		}
	}
}

// dirSize is the octets of the files below dir (-1 when unreadable): the
// store of sqlite, the spool and the keys.
func dirSize(dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.Type().IsRegular() {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	if err != nil {
		return -1
	}
	return n
}
