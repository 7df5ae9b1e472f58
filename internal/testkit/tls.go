package testkit

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	"github.com/petrelmail/petrel/internal/certs"
)

// TLS makes a self-signed certificate for host in dataDir (as a server
// without tls.cert does; "" means a new temporary directory) and returns
// the server's configuration and a client configuration that trusts that
// certificate and expects host.
func TLS(t testing.TB, host, dataDir string) (server, client *tls.Config) {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	res, err := certs.Load(certs.Options{Hostname: host, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	return res.Config, TrustCert(t, res.CertPath, host)
}

// TrustCert returns a client configuration that trusts the certificate in
// the PEM file certPath (a server's, say) and expects host.
func TrustCert(t testing.TB, certPath, host string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", certPath)
	}
	return &tls.Config{RootCAs: pool, ServerName: host}
}
