package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"github.com/prometheus/client_golang/prometheus"
)

// ALPNProto is the ALPN protocol of TLS-ALPN-01 (RFC 8737 §6.2): the
// HTTPS listener must offer it.
const ALPNProto = acmez.ACMETLS1Protocol

// GetCertificateFunc is tls.Config.GetCertificate.
type GetCertificateFunc func(*tls.ClientHelloInfo) (*tls.Certificate, error)

// Config is what a Manager is built from.
type Config struct {
	// Hostname is the server's name: its certificate is served to
	// clients that send no SNI or a name without a certificate.
	Hostname string
	// Names are the names to get certificates for (Hostname among them
	// or not: it is always added).
	Names []string
	// Directory is the CA's ACME directory URL; Email the account's
	// contact ("" = none); Roots the roots to trust for the directory's
	// HTTPS (nil = the system's).
	Directory string
	Email     string
	Roots     *x509.CertPool
	// HTTPPort and TLSALPNPort are the ports of our plain HTTP and HTTPS
	// listeners, whose handlers answer HTTP-01 (HTTPHandler) and
	// TLS-ALPN-01 (GetCertificate) challenges; 0 turns the challenge
	// off. ListenHost is their host ("" = every address).
	HTTPPort, TLSALPNPort int
	ListenHost            string
	// Storage keeps the certificates (NewStorage).
	Storage certmagic.Storage
	// Fallback serves handshakes for which ACME has no certificate yet
	// (certs.Result.Base: the configured or self-signed certificate).
	Fallback GetCertificateFunc
	Logger   *slog.Logger
	// Registerer gets the metrics (nil = none).
	Registerer prometheus.Registerer

	// For tests: how often certificates are checked for renewal
	// (default certmagic's 10 minutes), the share of the lifetime left
	// when a renewal is due (default 1/3), and no use of the CA's
	// renewal information (RFC 9773).
	RenewCheckInterval time.Duration
	RenewalWindowRatio float64
	DisableARI         bool
}

// Manager gets and renews certificates and serves them.
type Manager struct {
	cfg     Config
	mu      sync.Mutex // guards names
	names   []string
	cache   *certmagic.Cache
	magic   *certmagic.Config
	issuer  *certmagic.ACMEIssuer
	log     *slog.Logger
	metrics *metrics
}

// New builds a Manager; Start begins the work.
func New(cfg Config) (*Manager, error) {
	if cfg.Storage == nil || cfg.Hostname == "" || cfg.Directory == "" {
		return nil, errors.New("acme: storage, hostname and directory are required")
	}
	if cfg.HTTPPort == 0 && cfg.TLSALPNPort == 0 {
		return nil, errors.New("acme: no challenge listener (listen.https or listen.http_acme)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, metrics: newMetrics()}
	m.names = names(cfg.Hostname, cfg.Names)
	zl := zapToSlog(cfg.Logger.Handler())
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		RenewCheckInterval: cfg.RenewCheckInterval,
		Logger:             zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{
		RenewalWindowRatio: cfg.RenewalWindowRatio,
		OnEvent:            m.onEvent,
		// Clients without SNI (most MTAs) or with another name (an IP
		// address, localhost) get the host name's certificate.
		DefaultServerName:  cfg.Hostname,
		FallbackServerName: cfg.Hostname,
		// The same key across renewals: a TLSA 3 1 1 record stays valid.
		ReusePrivateKeys: true,
		Storage:          cfg.Storage,
		DisableARI:       cfg.DisableARI,
		Logger:           zl,
	})
	m.issuer = certmagic.NewACMEIssuer(m.magic, certmagic.ACMEIssuer{
		CA:                      cfg.Directory,
		TestCA:                  cfg.Directory,
		Email:                   cfg.Email,
		Agreed:                  true,
		TrustedRoots:            cfg.Roots,
		ListenHost:              cfg.ListenHost,
		DisableHTTPChallenge:    cfg.HTTPPort == 0,
		AltHTTPPort:             cfg.HTTPPort,
		DisableTLSALPNChallenge: cfg.TLSALPNPort == 0,
		AltTLSALPNPort:          cfg.TLSALPNPort,
		Logger:                  zl,
	})
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(m.metrics.collector(m)); err != nil {
			m.cache.Stop()
			return nil, fmt.Errorf("acme metrics: %w", err)
		}
	}
	return m, nil
}

// names is hostname and extra, lower case, without duplicates.
func names(hostname string, extra []string) []string {
	out := []string{strings.ToLower(hostname)}
	for _, n := range extra {
		if n = strings.ToLower(n); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Names are the names the Manager gets certificates for.
func (m *Manager) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.names)
}

// Start loads the stored certificates and obtains the missing ones in the
// background (a failure is logged, counted and retried); renewals run
// until Stop.
func (m *Manager) Start(ctx context.Context) error {
	return m.magic.ManageAsync(ctx, m.Names())
}

// Add manages more names from now on (a domain added while the server
// runs: its mta-sts name), in the background like Start. Names already
// managed are left alone.
func (m *Manager) Add(ctx context.Context, names ...string) error {
	m.mu.Lock()
	var added []string
	for _, n := range names {
		if n = strings.ToLower(n); !slices.Contains(m.names, n) {
			m.names = append(m.names, n)
			added = append(added, n)
		}
	}
	m.mu.Unlock()
	if len(added) == 0 {
		return nil
	}
	return m.magic.ManageAsync(ctx, added)
}

// stopWait bounds Stop's wait for a renewal check in progress (it may be
// waiting on the CA), so that a shutdown is not held up.
const stopWait = 5 * time.Second

// Stop ends the renewal checks, waiting at most stopWait for one in
// progress.
func (m *Manager) Stop() {
	done := make(chan struct{})
	go func() {
		m.cache.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopWait):
		m.log.Warn("ACME: a renewal check still running at shutdown was left behind")
	}
}

// GetCertificate is the tls.Config.GetCertificate of every listener:
// TLS-ALPN-01 challenge certificates, then the ACME certificate for the
// name (or the host name's), then Fallback.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == ALPNProto {
		return m.magic.GetCertificate(hello)
	}
	if m.Leaf(hello.ServerName) != nil || m.Leaf(m.cfg.Hostname) != nil {
		if c, err := m.magic.GetCertificate(hello); err == nil && c != nil && c.Leaf != nil {
			return c, nil
		}
	}
	if m.cfg.Fallback == nil {
		return nil, fmt.Errorf("no certificate for %q yet", hello.ServerName)
	}
	return m.cfg.Fallback(hello)
}

// HTTPHandler answers HTTP-01 challenges (RFC 8555 §8.3) and passes
// every other request to next.
func (m *Manager) HTTPHandler(next http.Handler) http.Handler {
	return m.issuer.HTTPChallengeHandler(next)
}

// Leaf is the certificate in use for name, nil if ACME has none: the one
// that expires last, when a renewed one sits beside its predecessor.
func (m *Manager) Leaf(name string) *x509.Certificate {
	var best *x509.Certificate
	if name == "" {
		return nil
	}
	for _, c := range m.cache.AllMatchingCertificates(strings.ToLower(name)) {
		if c.Leaf != nil && (best == nil || c.Leaf.NotAfter.After(best.NotAfter)) {
			best = c.Leaf
		}
	}
	return best
}

// onEvent logs and counts what certmagic did.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	op := "obtain"
	if renewal {
		op = "renew"
	}
	switch event {
	case "cert_obtained":
		m.log.Info("ACME certificate "+op+"ed", "name", name, "issuer", data["issuer"])
	case "cert_failed":
		m.metrics.failures.WithLabelValues(name, op).Inc()
		m.log.Error("ACME certificate not "+op+"ed; will retry, the current certificate stays in use",
			"name", name, "err", data["error"])
	}
	return nil
}
