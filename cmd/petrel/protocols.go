package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// mailServer is a protocol server (SMTP, LMTP, IMAP, POP3 ...): it serves
// any number of listeners until Shutdown.
type mailServer interface {
	Serve(l net.Listener) error
	Shutdown(ctx context.Context) error
}

// binding is one configuration key's listeners and the server behind them.
type binding struct {
	key    string   // "listen.smtp"
	addrs  []string // from the configuration
	srv    mailServer
	listen func(addr string) (net.Listener, error) // nil = TCP
}

// name is the listener's name in logs and metrics: "smtp" for listen.smtp.
func (b binding) name() string { return strings.TrimPrefix(b.key, "listen.") }

// deps are what protocol servers are built from.
type deps struct {
	cfg      *config.Config
	st       store.Store
	accounts *accounts.Service
	// guard throttles failed logins on every protocol at once, so that an
	// attacker meets the same limits on every port.
	guard   *authguard.Guard
	tls     *tls.Config
	metrics *obs.Metrics
	log     *slog.Logger
	// outbound is the running outbound queue (queue_serve.go), nil when
	// the store has none; delivery hands it remote recipients (its Queue).
	outbound *outboundQueue
	// signer DKIM-signs submitted mail and the queue's reports; nil when
	// dkim.sign is off.
	signer signer
	// dns is the one resolver of the server (newResolver), shared with
	// its cache by inbound authentication, reverse lookups and the queue.
	dns dnsr.Resolver
	// acme gets and renews the certificates of [acme]; nil when off.
	acme *acme.Manager
	// perIP is limits.max_connections_per_ip: one address's connections
	// over every protocol but LMTP (protocolBindings makes it).
	perIP *netserve.Limiter
	// spam is the content filter (antispam.go: rspamd).
	spam *contentFilter
	// sieve are the operator's Sieve scripts (sieve_serve.go).
	sieve sieveGlobals
}

// serviceLimits are the connection limiters of one service: its own
// (shared by its listeners: imap and imaps, pop3 and pop3s, submission
// and submissions), then the process-wide one per address.
func serviceLimits(d deps, name string, maxTotal, maxPerIP int) []*netserve.Limiter {
	ls := []*netserve.Limiter{netserve.NewLimiter(name, maxTotal, maxPerIP)}
	if d.perIP != nil {
		ls = append(ls, d.perIP)
	}
	return ls
}

// protocolBindings builds the servers of every mail protocol this version
// has. Protocols added by later work append their bindings here.
func protocolBindings(d deps) []binding {
	d.perIP = netserve.NewLimiter("limits.max_connections_per_ip", 0, d.cfg.Limits.MaxConnectionsPerIP)
	var out []binding
	out = append(out, smtpBindings(d)...)
	out = append(out, pop3Bindings(d)...)
	out = append(out, imapBindings(d)...)
	out = append(out, manageSieveBindings(d)...)
	return out
}

// running is the set of mail servers serving their listeners.
type running struct {
	bindings []binding
	errs     chan error
	wg       sync.WaitGroup
}

// startBindings binds every listener first (so that a bad address fails
// the start before anything is served), then serves them.
func startBindings(bs []binding, log *slog.Logger) (*running, error) {
	type bound struct {
		b  binding
		ln net.Listener
	}
	var all []bound
	for _, b := range bs {
		for _, addr := range b.addrs {
			listen := b.listen
			if listen == nil {
				listen = func(a string) (net.Listener, error) { return net.Listen("tcp", a) }
			}
			ln, err := listen(addr)
			if err != nil {
				for _, x := range all {
					x.ln.Close()
				}
				var oe *net.OpError
				if errors.As(err, &oe) {
					err = oe.Err
				}
				return nil, fmt.Errorf("%s: cannot listen on %s: %v", b.key, addr, err)
			}
			all = append(all, bound{b, ln})
		}
	}
	r := &running{bindings: bs, errs: make(chan error, len(all))}
	for _, x := range all {
		log.Info("listening", "listener", x.b.name(), "addr", x.ln.Addr().String())
		r.wg.Add(1)
		go func(x bound) {
			defer r.wg.Done()
			if err := x.b.srv.Serve(x.ln); err != nil {
				r.errs <- fmt.Errorf("%s %s: %w", x.b.key, x.ln.Addr(), err)
			}
		}(x)
	}
	return r, nil
}

// shutdown stops every server: no new connections, sessions in a
// transaction finish until ctx ends.
func (r *running) shutdown(ctx context.Context, log *slog.Logger) {
	var wg sync.WaitGroup
	seen := make(map[mailServer]bool)
	for _, b := range r.bindings {
		if seen[b.srv] {
			continue
		}
		seen[b.srv] = true
		wg.Add(1)
		go func(b binding) {
			defer wg.Done()
			if err := b.srv.Shutdown(ctx); err != nil {
				log.Warn("sessions still open at the shutdown deadline were cut", "listener", b.name(), "err", err)
			}
		}(b)
	}
	wg.Wait()
	r.wg.Wait()
}
