package smtpclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// chain is a server certificate signed by a CA of its own.
type chain struct {
	ca, leaf *x509.Certificate
	caKey    *ecdsa.PrivateKey
	server   *tls.Config    // sends leaf and CA
	pool     *x509.CertPool // trusts the CA
}

var testSerial int64 = 100

func makeCert(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	testSerial++
	tmpl.SerialNumber = big.NewInt(testSerial)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// newChain makes a CA and a leaf for names, valid for the next hour.
func newChain(t *testing.T, names ...string) chain {
	t.Helper()
	now := time.Now()
	ca, caKey := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, nil, nil)
	c := chain{ca: ca, caKey: caKey, pool: x509.NewCertPool()}
	c.pool.AddCert(ca)
	c.server = leafConfig(t, c, names)
	c.leaf, _ = x509.ParseCertificate(c.server.Certificates[0].Certificate[0])
	return c
}

// leafConfig is a server config with a new leaf for names signed by c's
// CA, sending the CA too.
func leafConfig(t *testing.T, c chain, names []string) *tls.Config {
	t.Helper()
	now := time.Now()
	leaf, key := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, c.ca, c.caKey)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Raw, c.ca.Raw}, PrivateKey: key}}}
}

// fakeSTS answers every domain with one policy, or an error.
type fakeSTS struct {
	policy STSPolicy
	err    error
	asked  []string
	mu     sync.Mutex
}

func (f *fakeSTS) Lookup(_ context.Context, domain string) (STSPolicy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, domain)
	return f.policy, f.err
}

// stsPolicy is a policy whose mx patterns are hosts, exactly.
func stsPolicy(enforce bool, hosts ...string) STSPolicy {
	return STSPolicy{Enforce: enforce, Testing: !enforce, ID: "20261206",
		MatchMX: func(h string) bool { return slices.Contains(hosts, strings.ToLower(h)) }}
}

// reports collects the TLS outcomes of a client.
type reports struct {
	mu  sync.Mutex
	out []TLSOutcome
}

func (r *reports) add(o TLSOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out = append(r.out, o)
}

func (r *reports) all() []TLSOutcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.out)
}

// collect makes e's client report its outcomes.
func collect(e *env) *reports {
	r := &reports{}
	e.cfg.TLSReport = r.add
	return r
}

// wantReport checks that the outcomes are exactly one per (policy type,
// result type) given, in order ("tlsa/" = a tlsa success).
func wantReport(t *testing.T, r *reports, want ...string) {
	t.Helper()
	var got []string
	for _, o := range r.all() {
		got = append(got, o.PolicyType+"/"+o.ResultType)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("reports = %q, want %q (%+v)", got, want, r.all())
	}
}

// mailLines returns the MAIL commands the server received.
func mailLines(f *fakeServer) []string {
	var out []string
	for _, tr := range f.transcripts() {
		for _, l := range tr.lines {
			if strings.HasPrefix(l, "MAIL ") {
				out = append(out, l)
			}
		}
	}
	return out
}

// tlsaOf is the zone line of a TLSA record for cert at host, port.
func tlsaOf(t *testing.T, port int, host string, usage, sel, mt uint8, cert *x509.Certificate) string {
	t.Helper()
	return dnstest.TLSA(t, "_"+strconv.Itoa(port)+"._tcp."+host+".", usage, sel, mt, cert)
}

// policyEnv is a fake MX for remote.test at mx.remote.test on a DNS
// server that validates (AD bit) and a client that believes it.
func policyEnv(t *testing.T, f *fakeServer) (*fakeServer, *env) {
	t.Helper()
	srv := startFake(t, f)
	e := newEnv(t, srv.port())
	e.dnssec = true
	e.dns.SetAD(true)
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
	return srv, e
}

// sessions counts the connections that got as far as the envelope.
func sessions(f *fakeServer) (conns, tlsConns, mails int) {
	for _, tr := range f.transcripts() {
		conns++
		if tr.tls {
			tlsConns++
		}
	}
	return conns, tlsConns, len(mailLines(f))
}

func itoaPort(f *fakeServer) string { return strconv.Itoa(f.port()) }

// newChainSameCA is a server config with a leaf for names signed by the
// CA of c (so only the name is wrong).
func newChainSameCA(t *testing.T, c chain, names ...string) *tls.Config {
	t.Helper()
	return leafConfig(t, c, names)
}
