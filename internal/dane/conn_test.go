package dane_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dane"
)

// handshake runs a TLS handshake between a server sending p's chain and
// a client verifying it with recs, and returns the client's error.
func handshake(t *testing.T, p pki, recs []dane.Record) error {
	t.Helper()
	cn, sn := net.Pipe()
	defer func() { _ = cn.Close(); _ = sn.Close() }()
	srv := tls.Server(sn, &tls.Config{Certificates: []tls.Certificate{{
		Certificate: [][]byte{p.leaf.Raw, p.ca.Raw}, PrivateKey: p.leafKey}}})
	go func() { _ = srv.Handshake() }()
	cli := tls.Client(cn, &tls.Config{ServerName: "mx.example.org", InsecureSkipVerify: true,
		VerifyConnection: dane.VerifyConnection(recs, []string{"mx.example.org"}, nil)})
	_ = cli.SetDeadline(time.Now().Add(5 * time.Second))
	return cli.Handshake()
}

func TestVerifyConnection(t *testing.T) {
	now := time.Now()
	p := newPKI(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	other := newPKI(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	if err := handshake(t, p, []dane.Record{rec(t, 3, 1, 1, p.leaf)}); err != nil {
		t.Errorf("DANE-EE match: %v", err)
	}
	if err := handshake(t, p, []dane.Record{rec(t, 2, 0, 1, p.ca)}); err != nil {
		t.Errorf("DANE-TA match: %v", err)
	}
	if err := handshake(t, p, []dane.Record{rec(t, 3, 1, 1, other.leaf)}); err == nil {
		t.Error("handshake with a non-matching record succeeded")
	}
}

// FuzzVerify: any record against any certificate either matches or
// fails, without a panic; Usable agrees with what Verify uses.
func FuzzVerify(f *testing.F) {
	now := time.Now()
	p := newPKI(f, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	f.Add(uint8(3), uint8(1), uint8(1), p.leaf.Raw[:32], p.leaf.Raw)
	f.Add(uint8(2), uint8(0), uint8(0), p.ca.Raw, p.ca.Raw)
	f.Add(uint8(3), uint8(1), uint8(2), make([]byte, 64), []byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, usage, sel, mt uint8, data, der []byte) {
		r := dane.Record{Usage: usage, Selector: sel, MatchingType: mt, Data: data}
		chain := p.chain()
		if c, err := x509.ParseCertificate(der); err == nil {
			chain = append(chain[:1:1], c)
		}
		err := dane.Verify([]dane.Record{r}, chain, []string{"mx.example.org"}, now)
		if !r.Usable() && err != dane.ErrNoUsable {
			t.Fatalf("unusable %+v: err = %v", r, err)
		}
	})
}
