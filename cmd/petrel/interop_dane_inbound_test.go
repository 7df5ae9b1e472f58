package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// The DANE interop tests need a validating resolver that Postfix trusts:
// Postfix asks the resolver of /etc/resolv.conf (libc, port 53) and
// believes its AD bit (smtp_dns_support_level = dnssec; glibc passes the
// bit on only with "options trust-ad"). The tests run Postfix in a mount
// namespace of its own whose /etc/resolv.conf names a loopback address
// where a dnstest server answers on port 53, setting AD on every answer
// as a validating resolver does for a signed zone (RFC 6840 §5.8). What
// is tested is Postfix's and Petrel's use of the validated answers; the
// DNSSEC validation itself is the resolver's job (README "DANE").

// adWriter sets the AD bit on every answer.
type adWriter struct{ dns.ResponseWriter }

func (w adWriter) WriteMsg(m *dns.Msg) error {
	m.AuthenticatedData = true
	return w.ResponseWriter.WriteMsg(m)
}

// resolver53 serves h, as a validating resolver, on port 53 of a
// loopback address of its own (127.53.x.y, so that nothing else on the
// machine is in the way), UDP and TCP, until the test ends.
func resolver53(t *testing.T, h dns.Handler) string {
	t.Helper()
	ad := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) { h.ServeDNS(adWriter{w}, q) })
	return onOwnLoopback(t, "127.53", func(ip string) error {
		pc, err := net.ListenPacket("udp", ip+":53")
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", ip+":53")
		if err != nil {
			pc.Close()
			return err
		}
		udp, tcp := &dns.Server{PacketConn: pc, Handler: ad}, &dns.Server{Listener: ln, Handler: ad}
		go func() { _ = udp.ActivateAndServe() }()
		go func() { _ = tcp.ActivateAndServe() }()
		t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
		return nil
	})
}

// inResolverNamespace returns a command maker for startPostfixCmd that
// runs the command in a mount namespace where /etc/resolv.conf names the
// resolver at ip and trusts its AD bit.
func inResolverNamespace(t *testing.T, ip string) func(string, ...string) *exec.Cmd {
	t.Helper()
	interopTool(t, "unshare")
	rc := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(rc, []byte("nameserver "+ip+"\noptions trust-ad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(name string, args ...string) *exec.Cmd {
		script := `mount --bind "$0" /etc/resolv.conf && exec "$@"`
		return exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, rc, name},
			args...)...)
	}
}

// serverSPKI returns the SHA-256 of the public key of the certificate
// that the SMTP server at addr presents after STARTTLS: the data of a
// "3 1 1" TLSA record (RFC 6698 §2.1, RFC 7218).
func serverSPKI(t *testing.T, addr string) string {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := c.TLSConnectionState()
	return spkiSHA256(st.PeerCertificates[0])
}

func spkiSHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// Postfix with smtp_tls_security_level = dane delivers to Petrel only
// when the TLSA record of Petrel's host matches Petrel's certificate: a
// wrong record defers the message (never plaintext, never unverified
// TLS); once the record is right, the retry is delivered over verified
// TLS (RFC 7672 §2.2).
func TestPostfixDANEToPetrel(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	interopTool(t, "postfix")
	srv := newE2EServer(t, buildPetrel(t), false)
	srv.cli("", "domain", "add", "example.org")
	srv.addUsers("alice@example.org")
	srv.start()
	_, port := hostPort(t, srv.smtp)
	spki := serverSPKI(t, srv.smtp)

	// TTL 1: Postfix's smtp process keeps TLSA answers for their TTL.
	zone := dnstest.Start(t)
	tlsa := "_" + port + "._tcp.petrel.test."
	zone.Add(t, "petrel.test. 300 IN A 127.0.0.1",
		tlsa+" 1 IN TLSA 3 1 1 "+strings.Repeat("ab", 32)) // a key that is not Petrel's
	ip := resolver53(t, zone)

	pf := startPostfixCmd(t, "example.org\tsmtp:[petrel.test]:"+port+"\n", func(string) (string, string) {
		return `smtp_dns_support_level = dnssec
smtp_host_lookup = dns
smtp_tls_security_level = dane
smtp_tls_session_cache_database =
`, ""
	}, inResolverNamespace(t, ip))

	msg := "From: <sender@client.test>\r\nTo: <alice@example.org>\r\nSubject: dane\r\nMessage-ID: <dane@client.test>\r\n\r\nover DANE\r\n"
	if err := e2eSend(pf.smtp, "client.test", "sender@client.test", []string{"alice@example.org"}, []byte(msg)); err != nil {
		t.Fatalf("sending through Postfix: %v\n%s", err, pf.logText())
	}
	// The wrong record: Postfix defers, and nothing reaches Petrel.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(pf.logText(), "status=deferred"); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Postfix did not defer the message with a TLSA record that does not match:\n%s", pf.logText())
		}
	}
	if n := srv.messageCount("alice@example.org"); n != 0 {
		t.Fatalf("%d messages reached Petrel despite the TLSA mismatch\n%s", n, pf.logText())
	}
	if log := pf.logText(); !strings.Contains(log, "certificate") && !strings.Contains(log, "TLSA") {
		t.Errorf("Postfix's deferral does not name the certificate or TLSA check:\n%s", log)
	}

	// The right record: the retry is delivered, verified.
	zone.Remove(tlsa)
	zone.Add(t, tlsa+" 1 IN TLSA 3 1 1 "+spki)
	lastFlush := time.Now()
	for deadline := time.Now().Add(30 * time.Second); srv.messageCount("alice@example.org") < 1; time.Sleep(250 * time.Millisecond) {
		if time.Since(lastFlush) > 3*time.Second {
			pf.flushQueue() // once seen under load: no retry of its own within 30 s
			lastFlush = time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered within 30 s of the right TLSA record\n%s\n--- petrel log\n%s", pf.logText(), srv.log.String())
		}
	}
	if log := pf.logText(); !strings.Contains(log, "Verified TLS connection established to petrel.test") {
		t.Errorf("Postfix did not log a verified (DANE) TLS connection:\n%s", log)
	}
}
