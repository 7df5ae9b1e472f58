package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
)

// certPollInterval is how often serve checks whether the [tls] cert and key
// files changed (README "TLS certificates").
const certPollInterval = 5 * time.Second

// watchCerts makes SIGHUP reload the configured certificate (and only log
// with the self-signed one) instead of ending the process, and reloads it
// when its files change. The returned function stops both.
func watchCerts(ctx context.Context, res *certs.Result, log *slog.Logger) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	hup := make(chan struct{})
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
			}
			if res.Reloader == nil {
				log.Info("SIGHUP: nothing to reload (self-signed certificate)")
				continue
			}
			select {
			case hup <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	if res.Reloader != nil {
		go func() {
			defer func() { done <- struct{}{} }()
			res.Reloader.Watch(ctx, certPollInterval, hup, func(err error) {
				if err != nil {
					log.Error("TLS certificate not reloaded; the old one stays in use", "file", res.CertPath, "err", err)
					return
				}
				log.Info("TLS certificate reloaded", "file", res.CertPath)
			})
		}()
	} else {
		done <- struct{}{}
	}
	return func() {
		signal.Stop(sig)
		cancel()
		<-done
		<-done
	}
}
