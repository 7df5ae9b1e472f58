package dnstest

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/petrelmail/petrel/internal/dane"
)

// TLSA returns the zone-file line of the TLSA record at name
// ("_25._tcp.mx.example.org.") for cert with the given usage, selector and
// matching type (RFC 6698 §2), for Add.
func TLSA(t testing.TB, name string, usage, selector, matching uint8, cert *x509.Certificate) string {
	t.Helper()
	data, err := dane.Association(cert, selector, matching)
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	return fmt.Sprintf("%s TLSA %d %d %d %s", name, usage, selector, matching, hex.EncodeToString(data))
}
