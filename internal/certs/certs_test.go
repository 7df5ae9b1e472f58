package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func leafOf(t *testing.T, res *Result) *x509.Certificate {
	t.Helper()
	if res.Config.GetCertificate != nil {
		c, err := res.Config.GetCertificate(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf
	}
	if len(res.Config.Certificates) != 1 {
		t.Fatalf("got %d certificates, want 1", len(res.Config.Certificates))
	}
	leaf, err := x509.ParseCertificate(res.Config.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func TestSelfSignedGeneratedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	res, err := Load(Options{Hostname: "mail.example.org", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !res.SelfSigned || !res.Generated {
		t.Fatalf("first load: SelfSigned=%v Generated=%v, want both true", res.SelfSigned, res.Generated)
	}
	if res.Config.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", res.Config.MinVersion)
	}
	leaf := leafOf(t, res)
	for _, name := range []string{"mail.example.org", "localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate not valid for %s: %v", name, err)
		}
	}
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T is not ECDSA P-256", leaf.PublicKey)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < Validity {
		t.Errorf("validity %v, want at least %v", life, Validity)
	}
	fi, err := os.Stat(filepath.Join(Dir(dir), KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", fi.Mode().Perm())
	}

	again, err := Load(Options{Hostname: "mail.example.org", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated {
		t.Error("second load generated a new certificate, want the stored one reused")
	}
	if !bytes.Equal(leafOf(t, again).Raw, leaf.Raw) {
		t.Error("second load returned a different certificate")
	}
}

func TestSelfSignedRegeneratedForNewHostname(t *testing.T) {
	dir := t.TempDir()
	first, err := Load(Options{Hostname: "a.example.org", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load(Options{Hostname: "b.example.org", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !second.Generated {
		t.Fatal("hostname changed but the certificate was not regenerated")
	}
	if err := leafOf(t, second).VerifyHostname("b.example.org"); err != nil {
		t.Error(err)
	}
	if bytes.Equal(leafOf(t, first).Raw, leafOf(t, second).Raw) {
		t.Error("certificates are identical")
	}
}

func TestSelfSignedRegeneratedWhenExpiredOrDamaged(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(Options{Hostname: "h.example", DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().Add(Validity + 48*time.Hour) }
	res, err := Load(Options{Hostname: "h.example", DataDir: dir, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Generated {
		t.Error("expired certificate was reused")
	}
	if err := os.WriteFile(filepath.Join(Dir(dir), CertFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = Load(Options{Hostname: "h.example", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Generated {
		t.Error("damaged certificate file was not replaced")
	}
}

func TestSelfSignedForIPAddress(t *testing.T) {
	res, err := Load(Options{Hostname: "192.0.2.7", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	leaf := leafOf(t, res)
	if err := leaf.VerifyHostname("192.0.2.7"); err != nil {
		t.Error(err)
	}
	if !leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("first IP %v, want 127.0.0.1", leaf.IPAddresses[0])
	}
}

func TestConfiguredFiles(t *testing.T) {
	// Use a generated pair as the "operator's" files.
	src := t.TempDir()
	if _, err := Load(Options{Hostname: "ops.example", DataDir: src}); err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(Dir(src), CertFile), filepath.Join(Dir(src), KeyFile)
	data := t.TempDir()
	res, err := Load(Options{CertFile: cert, KeyFile: key, Hostname: "other.example", DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if res.SelfSigned || res.Generated || res.CertPath != cert {
		t.Errorf("got %+v, want the configured files used as they are", res)
	}
	if err := leafOf(t, res).VerifyHostname("ops.example"); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(Dir(data)); !os.IsNotExist(err) {
		t.Errorf("self-signed directory created although files are configured (stat: %v)", err)
	}
	if res.Config.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", res.Config.MinVersion)
	}
}

func TestConfiguredFilesErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(Options{CertFile: filepath.Join(dir, "c.pem"), DataDir: dir}); err == nil {
		t.Error("cert without key accepted")
	}
	_, err := Load(Options{CertFile: filepath.Join(dir, "c.pem"), KeyFile: filepath.Join(dir, "k.pem"), DataDir: dir})
	if err == nil {
		t.Fatal("missing files accepted")
	}
	if !bytes.Contains([]byte(err.Error()), []byte("tls.cert")) {
		t.Errorf("error %q does not name the tls.cert key", err)
	}
}

// Issue 13: the demo's certificate (host name localhost, or the machine's
// name) is valid for localhost, 127.0.0.1 and ::1, so that fetchmail and
// the others can check it when they dial any of them.
func TestSelfSignedNamesLocalAddresses(t *testing.T) {
	for _, host := range []string{"localhost", "demo.invalid", "::1"} {
		res, err := Load(Options{Hostname: host, DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		leaf := leafOf(t, res)
		for _, name := range []string{"localhost", "127.0.0.1", "::1", host} {
			if err := leaf.VerifyHostname(name); err != nil {
				t.Errorf("host %s: certificate not valid for %s: %v", host, name, err)
			}
		}
	}
}

// A stored self-signed certificate of the right host name but without the
// local names is replaced by one with them.
func TestSelfSignedWithoutLocalNamesReplaced(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "h.example"},
		DNSNames: []string{"h.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(Dir(dir), 0o700)
	os.WriteFile(filepath.Join(Dir(dir), CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(Dir(dir), KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	res, err := Load(Options{Hostname: "h.example", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Generated {
		t.Fatal("a stored certificate without 127.0.0.1 was reused")
	}
	if err := leafOf(t, res).VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
}
