package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/mtasts"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/store"
)

// stsLookup gives the outbound client the MTA-STS policies of recipient
// domains (RFC 8461 §5), found and cached by mtasts.Resolver: a policy
// whose mode is none is no policy, and a failed lookup carries its
// TLS-RPT result type (RFC 8460 §4.3.2.2).
type stsLookup struct{ r *mtasts.Resolver }

// newSTSLookup builds the resolver of outbound MTA-STS on the server's
// DNS resolver, for the TXT records and the policy host's addresses, and
// the store, where the policies are cached for every node. roots are
// the CAs that policy hosts' certificates must chain to (nil: the
// system's, the Web PKI of RFC 8461 §3.3).
func newSTSLookup(r dnsr.Resolver, st store.Store, log *slog.Logger, roots *x509.CertPool) stsLookup {
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialResolved(ctx, r, network, addr)
	}, ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	return stsLookup{mtasts.NewResolver(mtasts.Config{DNS: r, Fetch: mtasts.Fetcher{Client: client}, Cache: st,
		Log: log})}
}

func (l stsLookup) Lookup(ctx context.Context, domain string) (smtpclient.STSPolicy, error) {
	p, err := l.r.Lookup(ctx, domain)
	if err != nil {
		return smtpclient.STSPolicy{}, &smtpclient.STSError{ResultType: mtasts.ResultType(err), Err: err}
	}
	if p.Mode != mtasts.ModeEnforce && p.Mode != mtasts.ModeTesting {
		return smtpclient.STSPolicy{}, nil
	}
	return smtpclient.STSPolicy{Enforce: p.Mode == mtasts.ModeEnforce, Testing: p.Mode == mtasts.ModeTesting,
		MatchMX: p.MatchMX, ID: p.ID, Strings: strings.Split(strings.TrimSuffix(p.Text(), "\r\n"), "\r\n")}, nil
}

// outboundRoots is the CA pool of outbound TLS: nil (the system's) when
// delivery.tls_ca_file is unset, else the system's and the file's.
func outboundRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("delivery.tls_ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("delivery.tls_ca_file %s: no PEM certificate in it", file)
	}
	return pool, nil
}
