package main

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/webapi"
)

// apiHandler is the admin API (README "Admin API") on the services of the
// running server: the same operations as the CLI, the server's accounts
// service for admin logins, its failed-login guard for throttling and
// unlocking, its outbound queue. Mount it on the HTTPS server at
// webapi.Prefix ("/api/v1/"); it refuses credentials over plain HTTP.
func apiHandler(d deps) http.Handler { return webapi.New(apiDeps(d)) }

// apiDeps are the operations of the admin API, which the web UI shares.
func apiDeps(d deps) webapi.Deps {
	cfg := d.cfg
	dir := ops.NewDirectory(d.accounts, cfg.Delivery.Postmaster)
	keys := ops.NewDKIM(d.st, dir, nil)
	// A resolver of its own, without the server's cache: dns check must
	// see what DNS says now.
	r := dnsr.NewClient(cfg.DNS.Servers, ops.DNSQueryTimeout)
	srv := planServer(cfg)
	deps := webapi.Deps{
		Directory: dir,
		Tokens:    ops.NewTokens(d.st, nil),
		Admins:    d.accounts,
		DKIM:      keys,
		DNS:       ops.NewDNS(srv, r, keys, dir),
		Log:       d.log.With("component", "api"),
		Networks:  cfg.HTTP.AdminPrefixes(),
	}
	if d.outbound != nil {
		deps.Queue = ops.NewQueue(d.outbound.svc)
	}
	if d.guard != nil {
		deps.Guard = d.guard
		deps.Logins = ops.NewLogins(guardUnlocker{d.guard})
	}
	return deps
}

// guardUnlocker is the Unlocker of the API inside the server: the
// failed-login guard itself (the CLI goes through the control socket).
type guardUnlocker struct {
	g interface {
		Unlock(account string) bool
		UnblockClient(ip netip.Addr) bool
	}
}

func (u guardUnlocker) Unlock(_ context.Context, account, client string) (ops.UnlockResult, error) {
	var res ops.UnlockResult
	if client != "" {
		ip, err := netip.ParseAddr(client)
		if err != nil {
			return res, &ops.Error{Kind: ops.KindInvalid, Field: "client", Msg: "client: not an IP address", Err: err}
		}
		res.Client = u.g.UnblockClient(ip)
	}
	res.Account = u.g.Unlock(account)
	return res, nil
}
