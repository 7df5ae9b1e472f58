// Package acmetest runs pebble, Let's Encrypt's test ACME CA, in the test
// process on loopback, for the tests of internal/acme and cmd/petrel. Its
// validation authority dials the ports given (our listeners) and resolves
// names through the DNS server given (a dnstest server), without the
// random sleeps of a real CA. Only tests import it.
package acmetest

import (
	"crypto/x509"
	"encoding/pem"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Options configure the CA.
type Options struct {
	// HTTPPort and TLSPort are where HTTP-01 and TLS-ALPN-01 validations
	// connect (on the address the name resolves to).
	HTTPPort, TLSPort int
	// DNS is the "host:port" of the resolver for the names (TCP).
	DNS string
	// Validity of the certificates issued; 0 = pebble's default (90 days).
	Validity time.Duration
}

// Pebble is a running CA.
type Pebble struct {
	// Directory is the ACME directory URL; Roots trusts its HTTPS, whose
	// certificate RootsPEM is (for [acme] ca_roots).
	Directory string
	Roots     *x509.CertPool
	RootsPEM  []byte
	// IssuerRoots trusts the certificates it issues.
	IssuerRoots *x509.CertPool

	down atomic.Bool
	reqs atomic.Int64
}

// Start runs a CA until the test ends. It sets pebble's environment
// (no validation sleeps, no rejected nonces), so the test must not be
// parallel.
func Start(t testing.TB, o Options) *Pebble {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	logger := log.New(t.Output(), "pebble ", log.Lmicroseconds)
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "test", ValidityPeriod: uint64(o.Validity / time.Second)}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	validator := va.New(logger, o.HTTPPort, o.TLSPort, false, o.DNS, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	p := &Pebble{}
	h := front.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.reqs.Add(1)
		if p.down.Load() {
			// Unreachable: the connection drops without an answer.
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.Directory = srv.URL + wfe.DirectoryPath
	p.Roots = x509.NewCertPool()
	p.Roots.AddCert(srv.Certificate())
	p.RootsPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	p.IssuerRoots = x509.NewCertPool()
	p.IssuerRoots.AddCert(authority.GetRootCert(0).Cert)
	return p
}

// SetDown makes the CA unreachable (every connection dropped) or
// reachable again.
func (p *Pebble) SetDown(down bool) { p.down.Store(down) }

// Requests counts the HTTP requests the CA received, reachable or not.
func (p *Pebble) Requests() int64 { return p.reqs.Load() }
