package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/mtasts"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// mtastsMode is the policy mode of an [mta_sts] mode value; "off" is
// none.
func mtastsMode(s string) mtasts.Mode {
	if s == "off" {
		return ""
	}
	return mtasts.Mode(s)
}

// mtastsServe is the MTA-STS policy of [mta_sts], which the HTTPS
// listener serves (mtastsHandler) and petrel dns publishes.
func mtastsServe(cfg *config.Config) mtasts.ServeConfig {
	sc := mtasts.ServeConfig{
		Mode: mtastsMode(cfg.MTASTS.Mode), MaxAge: time.Duration(cfg.MTASTS.MaxAge),
		DomainMode: map[string]mtasts.Mode{},
	}
	for _, mx := range cfg.MXNames() {
		sc.MX = append(sc.MX, strings.ToLower(strings.TrimSuffix(mx, ".")))
	}
	for d, m := range cfg.MTASTS.DomainMode {
		if c, err := mailaddr.CanonicalDomain(d); err == nil {
			sc.DomainMode[c] = mtastsMode(m)
		}
	}
	return sc
}

// mtastsHandler serves the policy of each local domain at
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt; the HTTPS listener
// routes the hosts mta-sts.* to it (mtasts.PolicyDomain).
func mtastsHandler(cfg *config.Config, st store.Store, log *slog.Logger) http.Handler {
	return mtasts.NewHandler(mtastsServe(cfg), directoryOf(cfg, st), log)
}

// dnsCheckLookup is what petrel dns check asks: the resolver, with TLSA
// lookups (dnsplan.TLSALookup) and the policy fetch (dnsplan.PolicyFetcher).
type dnsCheckLookup struct {
	*dnsr.Client
	dnsplan.ClientTLSA
	*mtasts.Fetcher
}

// policyFetchTimeout bounds the fetch of a policy by petrel dns check.
const policyFetchTimeout = 30 * time.Second

// newDNSCheckLookup asks the configured DNS servers, for the policy
// host's address too, so that the check sees what it checked.
func newDNSCheckLookup(cfg *config.Config, timeout time.Duration) dnsCheckLookup {
	r := dnsr.NewClient(cfg.DNS.Servers, timeout)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialResolved(ctx, r, network, addr)
	}
	return dnsCheckLookup{
		Client:     r,
		ClientTLSA: dnsplan.ClientTLSA{Client: r},
		Fetcher:    &mtasts.Fetcher{Client: &http.Client{Transport: tr}, Timeout: policyFetchTimeout},
	}
}

// dialResolved dials addr ("host:port") at the addresses r gives for its
// host, in turn.
func dialResolved(ctx context.Context, r dnsr.Resolver, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := r.LookupIP(ctx, host)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	for _, ip := range ips {
		var c net.Conn
		if c, err = d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port)); err == nil {
			return c, nil
		}
	}
	return nil, err
}

// certInUse reads the certificate the TLS listeners use, for its TLSA
// record: the host name's from ACME (in the store; none before it is
// obtained), tls.cert, or the self-signed one when it exists (petrel dns
// makes none). A certificate not there yet is no error.
func certInUse(ctx context.Context, cfg *config.Config, st store.Store) (*x509.Certificate, dnsplan.CertSource, error) {
	if cfg.ACME.Enabled {
		cert, err := acme.StoredCertificate(ctx, acme.NewStorage(st, obs.ProcessName()), cfg.Hostname)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, dnsplan.CertACME, nil
		}
		return cert, dnsplan.CertACME, err
	}
	path, source := cfg.TLS.Cert, dnsplan.CertFiles
	if path == "" {
		path, source = filepath.Join(certs.Dir(cfg.DataDir), certs.CertFile), dnsplan.CertSelfSigned
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && source == dnsplan.CertSelfSigned {
		return nil, source, nil
	}
	if err != nil {
		return nil, source, err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			return cert, source, err
		}
	}
	return nil, source, errors.New(path + ": no PEM certificate")
}
