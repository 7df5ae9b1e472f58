package main

import (
	"fmt"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/vacation"
)

// sieveGlobals are the operator's Sieve scripts ([sieve]), compiled when
// the server starts.
type sieveGlobals struct {
	before, after *sieve.Script
	dir           *sievescripts.Dir
}

// loadSieveGlobals compiles sieve.before and sieve.after; a script that
// cannot be read or compiled stops the server (the error names the key,
// the file, the line and the column).
func loadSieveGlobals(cfg *config.Config) (sieveGlobals, error) {
	var g sieveGlobals
	for _, s := range []struct {
		key, path string
		to        **sieve.Script
	}{{"sieve.before", cfg.Sieve.Before, &g.before}, {"sieve.after", cfg.Sieve.After, &g.after}} {
		if s.path == "" {
			continue
		}
		sc, err := sievescripts.CompileFile(s.path, sieve.Limits{})
		if err != nil {
			return g, fmt.Errorf("%s: %v", s.key, err)
		}
		*s.to = sc
	}
	if cfg.Sieve.GlobalDir != "" {
		g.dir = sievescripts.NewDir(cfg.Sieve.GlobalDir, sieve.Limits{})
	}
	return g, nil
}

// sievePolicy is the Sieve policy of the delivery path (README "Filters
// and vacation"): the accounts' scripts between the operator's.
func sievePolicy(d deps) delivery.Sieve {
	p := delivery.Sieve{Scripts: sievescripts.New(d.st, sieve.Limits{}), Accounts: d.st, Hostname: d.cfg.Hostname,
		Log: d.log.With("component", "sieve"), MaxSize: int64(d.cfg.Delivery.MaxMessageSize),
		Store: d.st, Before: d.sieve.before, After: d.sieve.after, Refusal: queue.Refusal,
		SendAs: d.accounts, Vacation: vacation.New(vacation.Config{KV: d.st, Hostname: d.cfg.Hostname,
			MinPeriod: time.Duration(d.cfg.Sieve.VacationMinPeriod)}),
		Sweeper: &delivery.Sweeper{KV: d.st}}
	if d.sieve.dir != nil {
		p.Global = d.sieve.dir
	}
	return p
}
