package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/admin"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpd"
	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/store"
)

// shutdownTimeout bounds the wait for work in flight at shutdown.
const shutdownTimeout = 10 * time.Second

// The local demo (docs/architecture.md §Configuration): its domain, first
// account, and the file (in the data directory) that receives the account's
// password.
const (
	demoDomain      = "localhost"
	demoAccount     = "postmaster@localhost"
	initialPassword = "initial-password"
)

// serve runs the server until ctx ends, then shuts it down gracefully.
func (a *app) serve(ctx context.Context, args []string) (err error) {
	opts, pos, err := parseArgs("serve", args, false)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("serve: unexpected argument %q", pos[0])
	}
	cfg, demo, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	log, err := obs.NewLogger(a.stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return usageErrorf("log: %v", err)
	}
	stopProfiling, err := startProfiling(log)
	defer stopProfiling()
	if err != nil {
		return usageErrorf("%v", err)
	}
	if demo {
		log.Info("no configuration file: running the local demo", "data_dir", cfg.DataDir, "hostname", cfg.Hostname)
	}
	// With PostgreSQL too: the data directory holds the node's spool,
	// control socket and certificate (README "Several nodes").
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer release()
	metrics := obs.NewMetrics()
	st, err := openStore(ctx, cfg, log, metrics, true)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			log.Error("closing the store", "err", cerr)
			if err == nil {
				err = fmt.Errorf("closing the store: %w", cerr)
			}
		} else {
			log.Info("store closed")
		}
	}()
	if demo {
		if err := ensureDemo(ctx, cfg, st, log); err != nil {
			return fmt.Errorf("setting up the demo: %s", errText(err))
		}
	}
	tlsRes, err := loadTLS(cfg, log)
	if err != nil {
		return err
	}
	defer watchCerts(ctx, tlsRes, log)()
	metrics.Registry.MustRegister(tlsRes.ExpiryGauge())
	if b, ok := st.(interface {
		TextBacklog(context.Context) (store.IndexBacklog, error)
	}); ok { // the full-text indexer's backlog (README "Metrics")
		metrics.Registry.MustRegister(store.NewBacklogCollector(b.TextBacklog))
	}
	acmeMgr, err := newACME(cfg, st, tlsRes, metrics, log, a.tuneACME)
	if err != nil {
		return err
	}
	if acmeMgr != nil {
		defer acmeMgr.Stop()
	}
	if err := resetSpool(filepath.Join(cfg.DataDir, smtpd.SpoolSubdir), log); err != nil {
		return err
	}
	if err := importDKIMFiles(ctx, cfg, st, log); err != nil {
		return err
	}
	svc := accounts.New(st, accounts.Options{SubaddressSeparator: cfg.SMTP.SubaddressSeparator})
	d := deps{cfg: cfg, st: st, tls: tlsRes.Config, metrics: metrics, log: log, guard: newGuard(svc),
		signer: newSigner(cfg, st, log), dns: newResolver(cfg), accounts: svc, acme: acmeMgr}
	if d.sieve, err = loadSieveGlobals(cfg); err != nil {
		return err
	}
	d.spam = newContentFilter(cfg, st, metrics, log)
	defer d.spam.close()
	if d.outbound, err = startQueue(ctx, d); err != nil {
		return err
	}
	defer d.outbound.stop()
	return a.serveListeners(ctx, d)
}

// serveListeners binds the listeners, serves until ctx ends or a listener
// fails, and then stops accepting and waits for requests in flight.
func (a *app) serveListeners(ctx context.Context, d deps) error {
	cfg, st, m, log := d.cfg, d.st, d.metrics, d.log
	bindings := protocolBindings(d)
	mail, err := startBindings(bindings, log)
	if err != nil {
		return err
	}
	web, err := startWeb(d, d.acme)
	if err != nil {
		mail.shutdown(context.Background(), log)
		return err
	}
	httpLns, err := listenAll("listen.http", cfg.Listen.HTTP)
	if err != nil {
		mail.shutdown(context.Background(), log)
		web.shutdown(context.Background(), log)
		return err
	}
	health := func(ctx context.Context) error { // a cheap read
		_, err := st.HasDomain(ctx, demoDomain)
		return err
	}
	srv := admin.NewServer(admin.Handler(admin.Options{Health: health, Gatherer: m.Registry, Logger: log}), log)
	addrs := make([]net.Addr, 0, len(httpLns))
	for _, l := range httpLns {
		srv.Serve(l)
		addrs = append(addrs, l.Addr())
		log.Info("listening", "listener", "http", "addr", l.Addr().String())
	}
	httpsErr, plainErr := web.errs()
	// Once the challenge listeners are bound.
	if err := startACME(ctx, d.acme, log); err != nil {
		mail.shutdown(context.Background(), log)
		web.shutdown(context.Background(), log)
		srv.Shutdown(context.Background())
		return err
	}
	go managePublishedNames(ctx, d.acme, cfg, st, log)
	control := serveControl(d)
	logUnavailable(cfg.Listen, bindings, log)
	log.Info("petrel started", "version", versionString(), "hostname", cfg.Hostname, "data_dir", cfg.DataDir)
	if a.onReady != nil {
		a.onReady(addrs)
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serveErr = <-srv.Err():
		serveErr = fmt.Errorf("http listener failed: %w", serveErr)
		log.Error("listener failed, shutting down", "err", serveErr)
	case serveErr = <-mail.errs:
		log.Error("listener failed, shutting down", "err", serveErr)
	case serveErr = <-httpsErr:
		serveErr = fmt.Errorf("https listener failed: %w", serveErr)
		log.Error("listener failed, shutting down", "err", serveErr)
	case serveErr = <-plainErr:
		serveErr = fmt.Errorf("http_acme listener failed: %w", serveErr)
		log.Error("listener failed, shutting down", "err", serveErr)
	}
	// Stop accepting everywhere, then let transactions in flight finish
	// (a message being committed gets its reply) until the deadline.
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	mail.shutdown(sctx, log)
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still in flight at the shutdown deadline were cut", "err", err)
	}
	web.shutdown(sctx, log)
	if control != nil {
		control.Shutdown(sctx)
	}
	return serveErr
}

// listenAll binds every address of one configuration key, or none.
func listenAll(key string, addrs []string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, addr := range addrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			var oe *net.OpError
			if errors.As(err, &oe) {
				err = oe.Err
			}
			return nil, fmt.Errorf("%s: cannot listen on %s: %v", key, addr, err)
		}
		lns = append(lns, l)
	}
	return lns, nil
}

// resetSpool creates the spool directory and empties it: at start no
// session exists, so any file there was left by a crash mid-transfer (never
// acknowledged, so nothing is lost).
func resetSpool(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the spool directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the spool directory: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err == nil {
			log.Info("removed a spool file left by an earlier run", "file", e.Name())
		}
	}
	return nil
}

// logUnavailable logs, in one line, the configured listeners of protocols
// that this version does not serve yet; they are not bound.
func logUnavailable(l config.Listen, served []binding, log *slog.Logger) {
	has := make(map[string]bool)
	for _, b := range served {
		has[b.key] = true
	}
	var attrs []any
	for _, p := range []struct {
		key   string
		addrs []string
	}{
		{"smtp", l.SMTP}, {"submission", l.Submission}, {"submissions", l.Submissions},
		{"imap", l.IMAP}, {"imaps", l.IMAPS}, {"pop3", l.POP3}, {"pop3s", l.POP3S}, {"lmtp", l.LMTP},
	} {
		if len(p.addrs) > 0 && !has["listen."+p.key] {
			attrs = append(attrs, p.key, p.addrs)
		}
	}
	if len(attrs) > 0 {
		log.Warn("listeners not yet available in this version; not listening", attrs...)
	}
}

// loadTLS loads or creates the certificate that the TLS listeners use.
func loadTLS(cfg *config.Config, log *slog.Logger) (*certs.Result, error) {
	res, err := certs.Load(certs.Options{
		CertFile: cfg.TLS.Cert, KeyFile: cfg.TLS.Key, Hostname: cfg.Hostname, DataDir: cfg.DataDir,
		MinVersion: cfg.TLS.MinVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("tls: %v", err)
	}
	switch {
	case res.Generated:
		log.Info("generated a self-signed TLS certificate", "hostname", cfg.Hostname, "file", res.CertPath)
	case res.SelfSigned:
		log.Info("using the self-signed TLS certificate", "file", res.CertPath)
	default:
		log.Info("using the configured TLS certificate", "file", res.CertPath)
	}
	return res, nil
}

// ensureDemo creates the demo domain and account when they do not exist.
// The account's random password is written once to
// <data_dir>/initial-password (mode 0600): its path is logged, never the
// password.
func ensureDemo(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger) error {
	svc := accounts.New(st, accounts.Options{SubaddressSeparator: cfg.SMTP.SubaddressSeparator})
	ok, err := st.HasDomain(ctx, demoDomain)
	if err != nil {
		return err
	}
	if !ok {
		if err := svc.AddDomain(ctx, demoDomain); err != nil && !store.IsKind(err, store.KindExists) {
			return err
		}
		log.Info("created the demo domain", "domain", demoDomain)
	}
	_, err = st.LookupAddress(ctx, demoAccount)
	if err == nil || !store.IsKind(err, store.KindNotFound) {
		return err
	}
	// The file first: an account whose password was never written would be
	// locked out for good.
	pw := newPassword()
	path := filepath.Join(cfg.DataDir, initialPassword)
	if err := spool.WriteFileAtomic(path, []byte(pw+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := svc.AddUser(ctx, demoAccount, pw); err != nil {
		if store.IsKind(err, store.KindExists) {
			log.Warn("demo account created concurrently; its password is not the one in the file",
				"account", demoAccount, "file", path)
			return nil
		}
		return err
	}
	log.Info("created the demo account; its password is in the file", "account", demoAccount, "file", path)
	return nil
}

// serveControl serves the control socket of the CLI (`petrel user
// unlock`) in the data directory; nil when it cannot be created (logged:
// the server runs without it).
func serveControl(d deps) *admin.Server {
	l, err := admin.ListenControl(d.cfg.DataDir)
	if err != nil {
		d.log.Warn("no control socket: petrel user unlock will not reach this server", "err", err)
		return nil
	}
	srv := admin.NewServer(admin.ControlHandler(admin.ControlOptions{
		Unlock:        d.guard.Unlock,
		UnblockClient: d.guard.UnblockClient,
	}), d.log)
	srv.Serve(l)
	return srv
}

// accountKeyTimeout bounds the directory lookup that names the account of
// a login attempt.
const accountKeyTimeout = 5 * time.Second

// newGuard is the one failed-login guard of IMAP, POP3 and submission.
// It counts attempts under the account a user name logs in to
// (accounts.Service.AccountKey), so that no spelling and no other address
// of an account escapes the account's count (docs/configuration.md §Login throttling).
func newGuard(svc *accounts.Service) *authguard.Guard {
	return authguard.New(authguard.Config{AccountKey: func(user string) string {
		ctx, cancel := context.WithTimeout(context.Background(), accountKeyTimeout)
		defer cancel()
		return svc.AccountKey(ctx, user)
	}})
}
