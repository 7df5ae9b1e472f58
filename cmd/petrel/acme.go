package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// acmeNames are the names besides the host name that ACME gets
// certificates for from the start: [acme] names. The names the server
// publishes for its domains join once it runs (publishedNames).
func acmeNames(cfg *config.Config) []string {
	return cfg.ACME.Names
}

// challengePort is the port of the first address of a listener key (0 for
// none; config.Validate made sure it is a valid host:port) and its host.
func challengePort(addrs []string) (host string, port int) {
	if len(addrs) == 0 {
		return "", 0
	}
	host, p, err := net.SplitHostPort(addrs[0])
	if err != nil {
		return "", 0
	}
	port, _ = strconv.Atoi(p)
	return host, port
}

// newACME builds the manager of the certificates of [acme] and makes it
// the listeners' certificate source (tlsRes.Config), falling back to the
// [tls] certificate for names without one yet; serveListeners starts it
// once the challenge listeners are bound (before, certmagic would bind
// their ports itself). It returns nil when ACME is off. tune, when set,
// adjusts the Manager's configuration (tests: a short renewal check).
func newACME(cfg *config.Config, st store.Store, tlsRes *certs.Result,
	m *obs.Metrics, log *slog.Logger, tune func(*acme.Config)) (*acme.Manager, error) {
	if !cfg.ACME.Enabled {
		return nil, nil
	}
	var roots *x509.CertPool
	if cfg.ACME.CARoots != "" {
		pem, err := os.ReadFile(cfg.ACME.CARoots)
		if err != nil {
			return nil, fmt.Errorf("acme.ca_roots: %v", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("acme.ca_roots: no PEM certificate in %s", cfg.ACME.CARoots)
		}
	}
	httpHost, httpPort := challengePort(cfg.Listen.HTTPACME)
	tlsHost, tlsPort := challengePort(cfg.Listen.HTTPS)
	host := tlsHost
	if tlsPort == 0 {
		host = httpHost
	}
	ac := acme.Config{
		Hostname: cfg.Hostname, Names: acmeNames(cfg),
		Directory: cfg.ACME.Directory, Email: cfg.ACME.Email, Roots: roots,
		HTTPPort: httpPort, TLSALPNPort: tlsPort, ListenHost: host,
		Storage:  acme.NewStorage(st, obs.ProcessName()),
		Fallback: tlsRes.Base, Logger: log.With("component", "acme"), Registerer: m.Registry,
	}
	if tune != nil {
		tune(&ac)
	}
	mgr, err := acme.New(ac)
	if err != nil {
		return nil, err
	}
	// Before any listener starts: every TLS listener shares this
	// configuration and asks it on each handshake.
	tlsRes.Config.GetCertificate = mgr.GetCertificate
	return mgr, nil
}

// startACME loads the stored certificates and gets the missing ones in
// the background, until ctx ends.
func startACME(ctx context.Context, mgr *acme.Manager, log *slog.Logger) error {
	if mgr == nil {
		return nil
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("acme: %v", err)
	}
	log.Info("ACME: managing certificates", "names", mgr.Names())
	return nil
}

// publishedNamesInterval is how often a running server looks for new
// local domains whose published names need a certificate.
const publishedNamesInterval = 5 * time.Minute

// publishedNames are the names the HTTPS listener serves for the local
// domains, which ACME gets certificates for: mta-sts.DOMAIN for each
// domain with an MTA-STS policy (README "MTA-STS"), autoconfig.DOMAIN
// and autodiscover.DOMAIN for each (README "Client autoconfiguration").
func publishedNames(ctx context.Context, cfg *config.Config, st store.Store) ([]string, error) {
	if len(cfg.Listen.HTTPS) == 0 {
		return nil, nil
	}
	domains, err := st.Domains(ctx)
	if err != nil {
		return nil, err
	}
	sc := mtastsServe(cfg)
	var names []string
	for _, d := range domains {
		if _, ok := sc.PolicyFor(d); ok {
			names = append(names, "mta-sts."+d)
		}
		names = append(names, "autoconfig."+d, "autodiscover."+d)
	}
	return names, nil
}

// managePublishedNames adds the published names of the local domains to
// ACME now and every publishedNamesInterval (a domain added with the CLI
// while the server runs gets its certificates), until ctx ends.
func managePublishedNames(ctx context.Context, mgr *acme.Manager, cfg *config.Config, st store.Store, log *slog.Logger) {
	if mgr == nil {
		return
	}
	t := time.NewTicker(publishedNamesInterval)
	defer t.Stop()
	for {
		names, err := publishedNames(ctx, cfg, st)
		if err == nil && len(names) > 0 {
			err = mgr.Add(ctx, names...)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("ACME: adding the names published for the local domains", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
