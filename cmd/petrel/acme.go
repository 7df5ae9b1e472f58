package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// acmeNames are the names besides the host name that ACME gets
// certificates for: [acme] names. The names the server publishes
// (mta-sts.DOMAIN, autoconfig.DOMAIN) join here.
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
		Storage:  acme.NewStorage(st, nodeOwner()),
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

// nodeOwner names this process in the store's locks: host, pid and a
// random part.
func nodeOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}
