package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// selfSigned makes a self-signed certificate for host and returns the
// paths of its certificate and key files.
func selfSigned(t *testing.T, host string) (cert, key string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := certs.Load(certs.Options{Hostname: host, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(certs.Dir(dir), certs.CertFile), filepath.Join(certs.Dir(dir), certs.KeyFile)
}

// stsToPostfix starts Postfix as the MX of b.test (mx.b.test) with a
// certificate for that name, b.test's MTA-STS policy (its lines given) on
// an HTTPS server on port 443, and a Petrel that trusts both
// certificates (delivery.tls_ca_file) and sends bob@b.test a message.
func stsToPostfix(t *testing.T, policy string) (*outSite, string) {
	t.Helper()
	mxCert, mxKey := selfSigned(t, "mx.b.test")
	pf, maildir := startPostfixMailboxCert(t, mxCert, mxKey)
	_, pfPort := hostPort(t, pf.smtp)

	ip, stsCert := policyServer(t, "b.test", policy)
	var roots []byte
	for _, f := range []string{mxCert, stsCert} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, b...)
	}
	rootFile := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(rootFile, roots, 0o644); err != nil {
		t.Fatal(err)
	}

	dns := dnstest.Start(t)
	dns.Add(t, "b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.1",
		`_mta-sts.b.test. TXT "v=STSv1; id=20261206T1"`, "mta-sts.b.test. A "+ip)
	sender := newOutSite(t, "a.test", "", dns.Addr, pfPort, fmt.Sprintf("tls_ca_file = %q", rootFile), "alice@a.test")
	sender.start()
	sender.swaksToBob("over MTA-STS")
	return sender, maildir
}

// TestPetrelMTASTSToPostfix: b.test publishes an MTA-STS policy in
// enforce mode naming its MX; Petrel fetches it and delivers to the real
// Postfix over TLS whose certificate it verified for mx.b.test (RFC 8461
// §4.2), and logs the policy.
func TestPetrelMTASTSToPostfix(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	sender, maildir := stsToPostfix(t, "version: STSv1\r\nmode: enforce\r\nmx: mx.b.test\r\nmax_age: 86400\r\n")
	waitQueue(t, sender, "queue is empty", 30*time.Second)
	msgs := waitMaildir(t, maildir, 30*time.Second)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: over MTA-STS") {
		t.Fatalf("bob's maildir: %q", msgs)
	}
	if log := sender.log.String(); !strings.Contains(log, `tls_policy="sts ok"`) && !strings.Contains(log, `"tls_policy":"sts ok"`) {
		t.Fatalf("no tls_policy sts ok in the log:\n%s", log)
	}
}

// TestPetrelMTASTSMismatchToPostfix: the enforced policy names another
// MX (as when an attacker answers the MX lookup): Petrel does not
// connect, the message is deferred with 4.7.5 and never delivered.
func TestPetrelMTASTSMismatchToPostfix(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	sender, maildir := stsToPostfix(t, "version: STSv1\r\nmode: enforce\r\nmx: mx.elsewhere.test\r\nmax_age: 86400\r\n")
	waitQueue(t, sender, "4.7.5", 30*time.Second)
	if msgs := maildirMessages(t, maildir); len(msgs) != 0 {
		t.Fatalf("delivered to an MX the policy does not list: %q", msgs)
	}
}
