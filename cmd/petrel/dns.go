package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Time limits of the dns commands: each DNS query, and the whole command.
const (
	dnsQueryTimeout   = 5 * time.Second
	dnsCommandTimeout = 2 * time.Minute
)

// dnsLookup is what the dns commands ask of DNS.
type dnsLookup interface {
	dnsr.Resolver
	LookupSRV(ctx context.Context, name string) ([]*net.SRV, error)
}

// dnsCmd runs "petrel dns DOMAIN" (print the records to publish) and
// "petrel dns check DOMAIN" (compare them with what DNS says).
func (a *app) dnsCmd(ctx context.Context, args []string) error {
	opts, pos, err := parseArgs("dns", args, false)
	if err != nil {
		return err
	}
	check := len(pos) > 0 && pos[0] == "check"
	if check {
		pos = pos[1:]
	}
	if len(pos) != 1 {
		return usageErrorf("usage: petrel dns [check] DOMAIN")
	}
	domain, err := mailaddr.CanonicalDomain(pos[0])
	if err != nil {
		return usageErrorf("dns: %v", err)
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	a.dnsWarnings(ctx, opts, cfg, domain)
	ctx, cancel := context.WithTimeout(ctx, dnsCommandTimeout)
	defer cancel()
	r := dnsr.NewClient(cfg.DNS.Servers, dnsQueryTimeout)
	warn := func(err error) { fmt.Fprintf(a.stderr, "petrel: warning: %v\n", err) }
	var ring *dkim.Keyring
	err = a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) (err error) {
		a.importDKIMFiles(ctx, cfg, st)
		ring, err = dkim.Load(ctx, st)
		return err
	})
	if err != nil {
		return &cliError{code: exitFail, lines: []string{"dns: reading the DKIM keys: " + errText(err)}}
	}
	keys := dkimKeyring(ring, time.Now(), warn)
	p, err := newDNSPlan(ctx, cfg, domain, r, keys)
	if err != nil {
		return &cliError{code: exitFail, lines: []string{"dns: " + err.Error()}}
	}
	if !check {
		writeZone(a.stdout, p)
		return nil
	}
	return checkDNS(ctx, a.stdout, p, r)
}

// dnsWarnings warns on standard error about a domain that is not local
// and a host name that others cannot resolve; neither stops the command.
func (a *app) dnsWarnings(ctx context.Context, opts options, cfg *config.Config, domain string) {
	if !strings.Contains(strings.TrimSuffix(cfg.Hostname, "."), ".") {
		fmt.Fprintf(a.stderr, "petrel: warning: hostname %q is not a fully qualified name: set hostname in the configuration to the server's public name\n", cfg.Hostname)
	}
	var local bool
	err := a.withAccounts(ctx, opts, func(svc *accounts.Service) (err error) {
		local, err = svc.IsLocalDomain(ctx, domain)
		return err
	})
	switch {
	case err != nil:
		fmt.Fprintf(a.stderr, "petrel: warning: cannot tell whether %s is a local domain: %s\n", domain, errText(err))
	case !local:
		fmt.Fprintf(a.stderr, "petrel: warning: %s is not a local domain of this server (add it with: petrel domain add %s)\n", domain, domain)
	}
}
