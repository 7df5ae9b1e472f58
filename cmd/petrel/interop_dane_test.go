package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// snakeoil is the certificate of startPostfixMailbox's Postfix.
func snakeoil(t *testing.T) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile("/etc/ssl/certs/ssl-cert-snakeoil.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("snakeoil: no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// daneToPostfix starts Postfix as the MX of b.test with a TLSA record of
// cert for it, in a DNS server that validates (AD bit), and a Petrel
// with dns.dnssec = true that sends bob@b.test a message.
func daneToPostfix(t *testing.T, cert *x509.Certificate) (*outSite, string) {
	t.Helper()
	pf, maildir := startPostfixMailbox(t)
	_, pfPort := hostPort(t, pf.smtp)
	dns := dnstest.Start(t)
	dns.SetAD(true)
	dns.Add(t, "b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.1",
		dnstest.TLSA(t, "_"+pfPort+"._tcp.mx.b.test.", 3, 1, 1, cert))
	sender := newOutSite(t, "a.test", "", dns.Addr, pfPort, "", "alice@a.test")
	cfg, err := os.ReadFile(sender.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sender.config, []byte(strings.Replace(string(cfg), "[dns]\n", "[dns]\ndnssec = true\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	sender.start()
	sender.swaksToBob("over DANE")
	return sender, maildir
}

// TestPetrelDANEToPostfix: with dns.dnssec and a validated TLSA record
// (DANE-EE, the key of Postfix's snakeoil certificate, whose name is
// "localhost": DANE-EE ignores it), Petrel delivers to a real Postfix over
// TLS and logs the policy.
func TestPetrelDANEToPostfix(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	sender, maildir := daneToPostfix(t, snakeoil(t))
	waitQueue(t, sender, "queue is empty", 30*time.Second)
	msgs := waitMaildir(t, maildir, 30*time.Second)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: over DANE") {
		t.Fatalf("bob's maildir: %q", msgs)
	}
	if log := sender.log.String(); !strings.Contains(log, `"tls_policy":"dane ok"`) && !strings.Contains(log, `tls_policy="dane ok"`) {
		t.Fatalf("no tls_policy dane ok in the log:\n%s", log)
	}
}

// TestPetrelDANEMismatchToPostfix: a TLSA record that does not match
// Postfix's certificate (an attacker's server would look like that):
// the message is deferred with 4.7.5, never delivered.
func TestPetrelDANEMismatchToPostfix(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	other := snakeoil(t)
	wrong := *other
	wrong.RawSubjectPublicKeyInfo = append([]byte{0}, other.RawSubjectPublicKeyInfo...)
	sender, maildir := daneToPostfix(t, &wrong)
	waitQueue(t, sender, "4.7.5", 30*time.Second)
	if msgs := maildirMessages(t, maildir); len(msgs) != 0 {
		t.Fatalf("delivered despite the TLSA mismatch: %q", msgs)
	}
}
