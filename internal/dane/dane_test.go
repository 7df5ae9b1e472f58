package dane_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dane"
)

// pki is a CA and a leaf it signed.
type pki struct {
	ca, leaf *x509.Certificate
	leafKey  *ecdsa.PrivateKey
}

var serial int64

func newCert(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
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

// newPKI makes a CA and a leaf for names valid from notBefore to notAfter.
func newPKI(t testing.TB, notBefore, notAfter time.Time, names ...string) pki {
	t.Helper()
	now := time.Now()
	ca, caKey := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}, nil, nil)
	leaf, key := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, caKey)
	return pki{ca: ca, leaf: leaf, leafKey: key}
}

func (p pki) chain() []*x509.Certificate { return []*x509.Certificate{p.leaf, p.ca} }

func rec(t *testing.T, usage, sel, mt uint8, cert *x509.Certificate) dane.Record {
	t.Helper()
	data, err := dane.Association(cert, sel, mt)
	if err != nil {
		t.Fatal(err)
	}
	return dane.Record{Usage: usage, Selector: sel, MatchingType: mt, Data: data}
}

func TestVerify(t *testing.T) {
	now := time.Now()
	good := newPKI(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	expired := newPKI(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "mx.example.org")
	other := newPKI(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	names := []string{"mx.example.org"}
	ok := func(err error) bool { return err == nil }
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	for _, tc := range []struct {
		name  string
		recs  []dane.Record
		chain []*x509.Certificate
		names []string
		check func(error) bool
	}{
		{"EE SPKI SHA-256", []dane.Record{rec(t, 3, 1, 1, good.leaf)}, good.chain(), names, ok},
		{"EE cert SHA-512", []dane.Record{rec(t, 3, 0, 2, good.leaf)}, good.chain(), names, ok},
		{"EE full cert", []dane.Record{rec(t, 3, 0, 0, good.leaf)}, good.chain(), names, ok},
		{"EE full SPKI", []dane.Record{rec(t, 3, 1, 0, good.leaf)}, good.chain(), names, ok},
		// RFC 7672 §3.1.1: DANE-EE ignores names and dates.
		{"EE ignores names", []dane.Record{rec(t, 3, 1, 1, good.leaf)}, good.chain(), []string{"other.example"}, ok},
		{"EE ignores expiry", []dane.Record{rec(t, 3, 1, 1, expired.leaf)}, expired.chain(), names, ok},
		{"EE leaf only", []dane.Record{rec(t, 3, 1, 1, good.leaf)}, good.chain()[:1], names, ok},
		{"EE other key", []dane.Record{rec(t, 3, 1, 1, other.leaf)}, good.chain(), names, is(dane.ErrNoMatch)},
		// An EE record of the CA does not make the CA's leaves valid.
		{"EE of the CA", []dane.Record{rec(t, 3, 1, 1, good.ca)}, good.chain(), names, is(dane.ErrNoMatch)},
		{"one of several", []dane.Record{rec(t, 3, 1, 1, other.leaf), rec(t, 3, 1, 1, good.leaf)}, good.chain(), names, ok},

		{"TA cert SHA-256", []dane.Record{rec(t, 2, 0, 1, good.ca)}, good.chain(), names, ok},
		{"TA SPKI SHA-512", []dane.Record{rec(t, 2, 1, 2, good.ca)}, good.chain(), names, ok},
		{"TA second name", []dane.Record{rec(t, 2, 1, 1, good.ca)}, good.chain(), []string{"a.example", "mx.example.org"}, ok},
		{"TA wrong name", []dane.Record{rec(t, 2, 1, 1, good.ca)}, good.chain(), []string{"other.example"},
			func(err error) bool { var h x509.HostnameError; return errors.As(err, &h) }},
		{"TA expired leaf", []dane.Record{rec(t, 2, 1, 1, expired.ca)}, expired.chain(), names,
			func(err error) bool {
				var c x509.CertificateInvalidError
				return errors.As(err, &c) && c.Reason == x509.Expired
			}},
		{"TA other CA", []dane.Record{rec(t, 2, 1, 1, other.ca)}, good.chain(), names, is(dane.ErrNoMatch)},
		// A TA record of the leaf itself (a common misconfiguration): the
		// leaf is its own anchor, names and dates still checked; it
		// once sliced chain[1:0] and crashed the process.
		{"TA on the leaf", []dane.Record{rec(t, 2, 1, 1, good.leaf)}, good.chain(), names, ok},
		{"TA on the leaf, wrong name", []dane.Record{rec(t, 2, 1, 1, good.leaf)}, good.chain(), []string{"other.example"},
			func(err error) bool { var h x509.HostnameError; return errors.As(err, &h) }},
		// The anchor must be in the chain the server sent (RFC 7672 §3.1.2).
		{"TA not sent", []dane.Record{rec(t, 2, 1, 1, good.ca)}, good.chain()[:1], names, is(dane.ErrNoMatch)},
		// A leaf signed by another CA that a TA record's CA did not sign.
		{"TA chain not signed", []dane.Record{rec(t, 2, 1, 1, good.ca)}, []*x509.Certificate{other.leaf, good.ca}, names,
			func(err error) bool { var e *dane.Error; return errors.As(err, &e) }},

		// RFC 7672 §3.1.3: PKIX usages are unusable in SMTP.
		{"PKIX-EE unusable", []dane.Record{rec(t, 1, 1, 1, good.leaf)}, good.chain(), names, is(dane.ErrNoUsable)},
		{"PKIX-TA unusable", []dane.Record{rec(t, 0, 1, 1, good.ca)}, good.chain(), names, is(dane.ErrNoUsable)},
		{"short digest unusable", []dane.Record{{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{1, 2}}}, good.chain(), names, is(dane.ErrNoUsable)},
		{"bad selector unusable", []dane.Record{{Usage: 3, Selector: 2, MatchingType: 0, Data: []byte{1}}}, good.chain(), names, is(dane.ErrNoUsable)},
		{"unusable skipped", []dane.Record{rec(t, 1, 1, 1, good.leaf), rec(t, 3, 1, 1, good.leaf)}, good.chain(), names, ok},
		{"no certificate", []dane.Record{rec(t, 3, 1, 1, good.leaf)}, nil, names, is(dane.ErrNoCertificate)},
	} {
		if err := dane.Verify(tc.recs, tc.chain, tc.names, now); !tc.check(err) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}
