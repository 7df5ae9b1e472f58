package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/petrelmail/petrel/internal/spool"
)

// Validity is how long a generated self-signed certificate is valid.
const Validity = 10 * 365 * 24 * time.Hour

// File names of the self-signed pair inside Dir(dataDir).
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

// Options say where the certificate comes from.
type Options struct {
	// CertFile and KeyFile are PEM files ([tls] cert and key). Both empty
	// means a self-signed certificate kept in the data directory.
	CertFile string
	KeyFile  string
	// Hostname is the name the self-signed certificate is made for.
	Hostname string
	// DataDir is Petrel's data directory.
	DataDir string
	// MinVersion is [tls] min_version ("1.2", "1.3"; "" = "1.2").
	MinVersion string
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// Result is what Load produced.
type Result struct {
	// Config is the listeners' configuration (serverConfig). Its
	// GetCertificate serves the certificate below; another source (ACME)
	// may replace it before the listeners start and fall back to Base.
	Config *tls.Config
	// Base returns the certificate of these options (the configured or
	// the self-signed one) for any handshake.
	Base func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// SelfSigned is true when the certificate is the generated one.
	SelfSigned bool
	// Generated is true when Load created a new self-signed certificate.
	Generated bool
	// CertPath is the certificate file in use.
	CertPath string
	// Reloader reloads the configured files (nil for the self-signed one).
	Reloader *Reloader
}

// Dir is the directory of the self-signed certificate.
func Dir(dataDir string) string { return filepath.Join(dataDir, "tls") }

// Load returns the TLS configuration for opts.
func Load(opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	minVersion, err := ParseMinVersion(opts.MinVersion)
	if err != nil {
		return nil, err
	}
	var res *Result
	switch {
	case opts.CertFile != "" && opts.KeyFile != "":
		r, err := NewReloader(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, err
		}
		res = &Result{Base: r.GetCertificate, CertPath: opts.CertFile, Reloader: r}
	case opts.CertFile != "" || opts.KeyFile != "":
		return nil, errors.New("tls.cert and tls.key must be set together")
	default:
		if res, err = loadSelfSigned(opts); err != nil {
			return nil, err
		}
	}
	// Certificates stays empty: tls then uses GetCertificate for every
	// handshake (also without SNI, e.g. a client dialling an IP address).
	res.Config = serverConfig(minVersion, res.Base)
	return res, nil
}

// fixed serves pair to every handshake.
func fixed(pair tls.Certificate) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &pair, nil }
}

func hostnameOf(opts Options) string {
	if opts.Hostname == "" {
		return "localhost"
	}
	return opts.Hostname
}

func loadSelfSigned(opts Options) (*Result, error) {
	host := hostnameOf(opts)
	dir := Dir(opts.DataDir)
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	res := &Result{SelfSigned: true, CertPath: certPath}
	if pair, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && usable(pair, host, opts.Now()) {
		res.Base = fixed(pair)
		return res, nil
	}
	certPEM, keyPEM, err := generate(host, opts.Now())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	// The key first: a crash between the two writes leaves a pair that does
	// not match, which the next start replaces.
	if err := spool.WriteFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", keyPath, err)
	}
	if err := spool.WriteFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", certPath, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	res.Base, res.Generated = fixed(pair), true
	return res, nil
}

// localNames are the names every self-signed certificate is valid for, so
// that local clients (the demo: README "Trusting the self-signed
// certificate") can verify it whichever of them they dial.
var localNames = [...]string{"localhost", "127.0.0.1", "::1"}

// usable reports whether a stored self-signed certificate was made for host
// (and the local names) and is currently valid.
func usable(pair tls.Certificate, host string, now time.Time) bool {
	leaf := pair.Leaf
	if leaf == nil {
		return false
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return false
	}
	for _, name := range localNames {
		if leaf.VerifyHostname(name) != nil {
			return false
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		return slices.ContainsFunc(leaf.IPAddresses, ip.Equal)
	}
	return leaf.Subject.CommonName == host && slices.Contains(leaf.DNSNames, host)
}

// generate makes a self-signed ECDSA P-256 certificate for host, also valid
// for localhost, 127.0.0.1 and ::1, and returns it and its key as PEM.
func generate(host string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"Petrel self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
		tmpl.DNSNames = []string{"localhost"}
	} else {
		tmpl.DNSNames = []string{host}
		if host != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, "localhost")
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
