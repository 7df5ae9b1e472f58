package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// dnsCmd runs "petrel dns DOMAIN" (print the records to publish) and
// "petrel dns check DOMAIN" (compare them with what DNS says), through
// ops.DNS.
func (a *app) dnsCmd(ctx context.Context, args []string) error {
	reports, args, err := takeValueFlag("dns", args, "dmarc-reports")
	if err != nil {
		return err
	}
	opts, pos, err := parseArgs("dns", args, false)
	if err != nil {
		return err
	}
	check := len(pos) > 0 && pos[0] == "check"
	if check {
		pos = pos[1:]
	}
	if len(pos) != 1 {
		return usageErrorf("usage: petrel dns [check] DOMAIN [--dmarc-reports ADDRESS]")
	}
	domain, err := mailaddr.CanonicalDomain(pos[0])
	if err != nil {
		return usageErrorf("dns: %v", err)
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	r := newDNSCheckLookup(cfg, ops.DNSQueryTimeout)
	srv := planServer(cfg)
	return a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) error {
		var err error
		if srv.Cert, srv.CertSource, err = certInUse(ctx, cfg, st); err != nil {
			fmt.Fprintf(a.stderr, "petrel: warning: no TLSA record: reading the certificate: %v\n", err)
		}
		domains := directoryOf(cfg, st)
		if cfg.TLSRPT.RUA == "" {
			a.tlsrptWarning(ctx, domains, domain)
		}
		svc := ops.NewDNS(srv, r, a.dkimOps(ctx, cfg, st), domains)
		if !check {
			p, err := svc.Plan(ctx, domain, reports)
			a.dnsWarnings(p, cfg.Hostname, domain)
			if err != nil {
				return &cliError{code: exitFail, lines: []string{"dns: " + err.Error()}}
			}
			fmt.Fprint(a.stdout, dnsplan.Render(p.Lines()))
			return nil
		}
		c, err := svc.Check(ctx, domain, reports)
		a.dnsWarnings(c.Plan, cfg.Hostname, domain)
		if err != nil {
			return &cliError{code: exitFail, lines: []string{"dns: " + err.Error()}}
		}
		return a.printCheck(c.Report, domain)
	})
}

// dnsWarnings warns on standard error about a host name that others
// cannot resolve, a domain that is not local, an MX that does not listen
// on port 25, a DMARC report address that takes no mail and key files
// left out; none stops the command.
func (a *app) dnsWarnings(p ops.Plan, hostname, domain string) {
	if p.HostnameNotFQDN {
		fmt.Fprintf(a.stderr, "petrel: warning: hostname %q is not a fully qualified name: set hostname in the configuration to the server's public name\n", hostname)
	}
	switch {
	case p.LocalErr != nil:
		fmt.Fprintf(a.stderr, "petrel: warning: cannot tell whether %s is a local domain: %s\n", domain, errText(p.LocalErr))
	case !p.Local:
		fmt.Fprintf(a.stderr, "petrel: warning: %s is not a local domain of this server (add it with: petrel domain add %s)\n", domain, domain)
	}
	if p.Plan != nil && len(p.SMTPOffPort25) > 0 {
		fmt.Fprintf(a.stderr, "petrel: warning: listen.smtp is %s, not port 25: other servers deliver to the MX %s on port 25 only, so forward port 25 to it (or listen on :25)\n",
			strings.Join(p.SMTPOffPort25, ", "), p.Host)
	}
	switch {
	case p.ReportsErr != nil:
		fmt.Fprintf(a.stderr, "petrel: warning: cannot tell whether %s takes mail (%s): the DMARC record asks for no reports\n", p.NoReports, errText(p.ReportsErr))
	case p.NoReports != "":
		fmt.Fprintf(a.stderr, "petrel: warning: %s reaches no account, so the DMARC record asks for no reports: create the account or alias (a domain's first account gets its postmaster@ mail), or name another address with --dmarc-reports\n", p.NoReports)
	}
	for _, e := range p.SkippedKeys {
		fmt.Fprintf(a.stderr, "petrel: warning: %v\n", e)
	}
}

// tlsrptWarning warns when tlsrpt@DOMAIN, where the _smtp._tls record
// asks for TLS reports by default, takes no mail here.
func (a *app) tlsrptWarning(ctx context.Context, domains ops.Mailboxes, domain string) {
	addr := "tlsrpt@" + domain
	if local, err := domains.IsLocalDomain(ctx, domain); err != nil || !local {
		return
	}
	if ok, err := domains.Reaches(ctx, addr); err == nil && !ok {
		fmt.Fprintf(a.stderr, "petrel: warning: %s takes no mail here, so TLS reports sent to it would bounce: make it an alias of an account (petrel alias add %s ACCOUNT) or set tls_rpt.rua\n", addr, addr)
	}
}

// printCheck prints one line per check: status, record type, name,
// details; an error (exit status 1) when any is not OK.
func (a *app) printCheck(rep dnsplan.Report, domain string) error {
	for _, r := range rep.Results {
		fmt.Fprintf(a.stdout, "%-7s %-6s %s: %s\n", r.Status, r.Kind, r.Name, r.Detail)
	}
	bad := rep.Failed()
	if bad == 0 {
		return nil
	}
	return &cliError{code: exitFail, lines: []string{fmt.Sprintf(
		"dns check %s: %d of %d checks failed (%d missing, %d wrong, %d lookup errors)",
		domain, bad, len(rep.Results), rep.Count(dnsplan.StatusMissing), rep.Count(dnsplan.StatusWrong), rep.Count(dnsplan.StatusError))}}
}

// planServer is what petrel dns and the API's DNS plan publish for this
// server's configuration (without the certificate: certInUse).
func planServer(cfg *config.Config) dnsplan.Server {
	return dnsplan.Server{Hostname: cfg.Hostname, Relayhost: cfg.Delivery.Relayhost, Listen: cfg.Listen,
		STS: mtastsServe(cfg), TLSRPT: func(d string) string { return cmp.Or(cfg.TLSRPT.RUA, "mailto:tlsrpt@"+d) }}
}
