package mtasts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a certificate authority of a test, trusted only by the
// clients the test makes.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mtasts test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf is a server certificate for names signed by the CA.
func (ca *testCA) leaf(t *testing.T, names ...string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// policyServer is an HTTPS server on loopback standing for every policy
// host: its clients dial it whatever the host name.
type policyServer struct {
	srv      *httptest.Server
	cert     atomic.Pointer[tls.Certificate]
	mu       sync.Mutex
	handler  http.HandlerFunc
	requests atomic.Int32  // requests that reached the handler
	tries    atomic.Int32  // TLS handshakes begun: one per fetch of a new connection
	stop     chan struct{} // closed at the end of the test: slow handlers return
}

// startPolicyServer serves h with a certificate for mta-sts.example.org
// from ca.
func startPolicyServer(t *testing.T, ca *testCA, h http.HandlerFunc) *policyServer {
	t.Helper()
	s := &policyServer{handler: h, stop: make(chan struct{})}
	s.cert.Store(ca.leaf(t, "mta-sts.example.org"))
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		h(w, r)
	}))
	s.srv.TLS = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		s.tries.Add(1)
		return s.cert.Load(), nil
	}}
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes the tests make fail
	s.srv.StartTLS()
	t.Cleanup(func() {
		close(s.stop)
		s.srv.Close()
	})
	return s
}

// serve replaces the handler.
func (s *policyServer) serve(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

// client trusts roots and dials the server for every host.
func (s *policyServer) client(roots *x509.CertPool) *http.Client {
	addr := s.srv.Listener.Addr().String()
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// policyText serves text as a policy.
func policyText(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "mta-sts.example.org" || r.URL.Path != WellKnownPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(text))
	}
}

const (
	enforceText = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.mx.example.org\r\nmax_age: 86400\r\n"
	testingText = "version: STSv1\nmode: testing\nmx: mail.example.org\nmax_age: 3600\n"
)

// failures are the ways a policy fetch fails, by name, with the result
// type each gives; badCert and otherName replace the server's certificate
// (run restores it).
type fetchFailure struct {
	name    string
	handler http.HandlerFunc
	cert    func(ca *testCA) *tls.Certificate
	result  string
}

func fetchFailures(t *testing.T, s *policyServer) []fetchFailure {
	oversize := enforceText + "x-pad: " + strings.Repeat("a", MaxPolicySize) + "\n"
	return []fetchFailure{
		{name: "redirect", result: ResultFetchError, handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				policyText(enforceText)(w, r)
				return
			}
			http.Redirect(w, r, "https://mta-sts.example.org/elsewhere", http.StatusMovedPermanently)
		}},
		{name: "404", result: ResultFetchError, handler: http.NotFound},
		{name: "500", result: ResultFetchError, handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}},
		{name: "wrong content type", result: ResultFetchError, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(enforceText))
		}},
		{name: "oversize", result: ResultFetchError, handler: policyText(oversize)},
		{name: "invalid policy", result: ResultPolicyInvalid, handler: policyText("version: STSv1\nmode: enforce\nmax_age: 60\n")},
		{name: "certificate of another CA", result: ResultWebPKIInvalid, handler: policyText(enforceText),
			cert: func(*testCA) *tls.Certificate { return newCA(t).leaf(t, "mta-sts.example.org") }},
		{name: "certificate for another name", result: ResultWebPKIInvalid, handler: policyText(enforceText),
			cert: func(ca *testCA) *tls.Certificate { return ca.leaf(t, "mail.example.org") }},
		{name: "timeout", result: ResultFetchError, handler: func(w http.ResponseWriter, r *http.Request) {
			select { // until the client gives up
			case <-r.Context().Done():
			case <-s.stop:
			}
		}},
	}
}

// use makes the server fail as f says, until the returned func restores
// it.
func (f fetchFailure) use(s *policyServer, ca *testCA, good http.HandlerFunc) func() {
	old := s.cert.Load()
	if f.cert != nil {
		s.cert.Store(f.cert(ca))
	}
	s.serve(f.handler)
	return func() {
		s.cert.Store(old)
		s.serve(good)
	}
}
