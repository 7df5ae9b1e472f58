package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/petrelmail/petrel/internal/acme"
	"github.com/petrelmail/petrel/internal/admin"
	"github.com/petrelmail/petrel/internal/mtasts"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/webapi"
	"github.com/petrelmail/petrel/internal/webui"
)

// webHandler is the handler of listen.https: the web pages of the
// server. mta-sts.DOMAIN serves DOMAIN's MTA-STS policy (RFC 8461 §3.3;
// README "MTA-STS"); on any other host the client autoconfiguration
// paths (README "Client autoconfiguration"), the admin API under
// /api/v1/ (README "Admin API"), the web admin under /admin/ and the
// account page under /account/ (README "Web and API") are served;
// anything else is 404.
func webHandler(d deps) http.Handler { return webSite(d, webUI(d, nil)) }

// webSite is webHandler with the web UI ui.
func webSite(d deps, ui *webui.UI) http.Handler {
	sts := mtastsHandler(d.cfg, d.st, d.log.With("component", "mtasts"))
	mux := http.NewServeMux()
	mux.Handle(webapi.Prefix, apiHandler(d))
	mux.Handle(webui.AdminPrefix, ui)
	mux.Handle(webui.AccountPrefix, ui)
	mux.Handle("/admin", http.RedirectHandler(webui.AdminPrefix, http.StatusMovedPermanently))
	mux.Handle("/account", http.RedirectHandler(webui.AccountPrefix, http.StatusMovedPermanently))
	site := autoconfigHandler(d).Wrap(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mtasts.PolicyDomain(r.Host) != "" {
			sts.ServeHTTP(w, r)
			return
		}
		site.ServeHTTP(w, r)
	})
}

// redirectHTTPS sends a plain HTTP request to the same host and path over
// https (listen.http_acme, README "Certificates and transport security").
func redirectHTTPS(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
		if strings.Contains(h, ":") { // IPv6
			host = "[" + h + "]"
		}
	}
	if host == "" {
		http.NotFound(w, r)
		return
	}
	u := url.URL{Scheme: "https", Host: host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
}

// webServers are the servers of listen.https and listen.http_acme, nil
// when the key has no address.
type webServers struct {
	https, plain *admin.Server
	// stop ends the web UI's background work (its dashboard's sampler).
	stop context.CancelFunc
}

// startWeb binds listen.https (TLS with the listeners' configuration and
// ALPN for h2, http/1.1 and ACME's TLS-ALPN-01) and listen.http_acme
// (ACME's HTTP-01 challenges, everything else redirected to https) and
// serves them.
func startWeb(d deps, mgr *acme.Manager) (*webServers, error) {
	httpsLns, err := listenAll("listen.https", d.cfg.Listen.HTTPS)
	if err != nil {
		return nil, err
	}
	plainLns, err := listenAll("listen.http_acme", d.cfg.Listen.HTTPACME)
	if err != nil {
		closeAll(httpsLns)
		return nil, err
	}
	// http.max_connections(_per_ip): both listeners' connections together.
	lim := netserve.NewLimiter("http", d.cfg.HTTP.MaxConnections, d.cfg.HTTP.MaxConnectionsPerIP)
	for i := range httpsLns {
		httpsLns[i] = lim.Listener(httpsLns[i])
	}
	for i := range plainLns {
		plainLns[i] = lim.Listener(plainLns[i])
	}
	w := &webServers{stop: func() {}}
	if len(httpsLns) > 0 {
		sampler := newSampler(d)
		ui := webUI(d, sampler)
		ctx, cancel := context.WithCancel(context.Background())
		w.stop = cancel
		go runWebUI(ctx, ui, sampler)
		cfg := d.tls.Clone()
		cfg.NextProtos = []string{"h2", "http/1.1"}
		if mgr != nil {
			cfg.NextProtos = append(cfg.NextProtos, acme.ALPNProto)
		}
		w.https = admin.NewServer(webSite(d, ui), d.log)
		serveWeb(d.log, "https", w.https, httpsLns, func(l net.Listener) net.Listener {
			return tls.NewListener(l, cfg)
		})
	}
	if len(plainLns) > 0 {
		var h http.Handler = http.HandlerFunc(redirectHTTPS)
		if mgr != nil {
			h = mgr.HTTPHandler(h)
		}
		w.plain = admin.NewServer(h, d.log)
		serveWeb(d.log, "http_acme", w.plain, plainLns, nil)
	}
	return w, nil
}

func serveWeb(log *slog.Logger, name string, srv *admin.Server, lns []net.Listener, wrap func(net.Listener) net.Listener) {
	for _, l := range lns {
		log.Info("listening", "listener", name, "addr", l.Addr().String())
		if wrap != nil {
			l = wrap(l)
		}
		srv.Serve(l)
	}
}

// errs deliver the first serving failure of each server (nil channels for
// the servers that do not run).
func (w *webServers) errs() (https, plain <-chan error) {
	if w.https != nil {
		https = w.https.Err()
	}
	if w.plain != nil {
		plain = w.plain.Err()
	}
	return https, plain
}

// shutdown stops the servers, letting requests in flight finish until ctx
// ends.
func (w *webServers) shutdown(ctx context.Context, log *slog.Logger) {
	if w.stop != nil {
		w.stop()
	}
	for _, s := range []*admin.Server{w.https, w.plain} {
		if s == nil {
			continue
		}
		if err := s.Shutdown(ctx); err != nil {
			log.Warn("web requests still in flight at the shutdown deadline were cut", "err", err)
		}
	}
}

func closeAll(lns []net.Listener) {
	for _, l := range lns {
		l.Close()
	}
}
