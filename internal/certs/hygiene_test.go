package certs

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveTLS accepts connections on loopback with cfg, completes the
// handshake, writes a line and closes, until the test ends. It returns the
// address and a pool trusting the certificate.
func serveTLS(t testing.TB, res *Result) (string, *x509.CertPool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				tc := tls.Server(c, res.Config)
				defer tc.Close() // with close_notify: openssl wants one
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() == nil {
					tc.Write([]byte("ok\n"))
				}
			}()
		}
	}()
	cert, err := res.Config.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return ln.Addr().String(), pool
}

func loadWith(t *testing.T, minVersion string) *Result {
	t.Helper()
	res, err := Load(Options{Hostname: "mail.example.org", DataDir: t.TempDir(), MinVersion: minVersion})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// dial handshakes with the server and reads its line.
func dial(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	// The line and the close_notify may come in one Read: (3, EOF).
	if _, err := io.ReadFull(c, make([]byte, 3)); err != nil {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), nil
}

// TLS hygiene (issue 15), seen by Go's client: TLS 1.1 and non-AEAD or
// non-ECDHE TLS 1.2 suites are refused, the AEAD ones accepted, and a
// second connection resumes the session (TLS 1.2 and 1.3).
func TestHygieneGoClient(t *testing.T) {
	res := loadWith(t, "")
	addr, pool := serveTLS(t, res)
	base := &tls.Config{RootCAs: pool, ServerName: "mail.example.org"}

	old := base.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	if _, err := dial(addr, old); err == nil {
		t.Error("TLS 1.1 accepted")
	}
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256} {
		weak := base.Clone()
		weak.MaxVersion, weak.CipherSuites = tls.VersionTLS12, []uint16{suite}
		if _, err := dial(addr, weak); err == nil {
			t.Errorf("TLS 1.2 with %s accepted", tls.CipherSuiteName(suite))
		}
	}
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256} {
		ok := base.Clone()
		ok.MaxVersion, ok.CipherSuites = tls.VersionTLS12, []uint16{suite}
		if st, err := dial(addr, ok); err != nil || st.CipherSuite != suite {
			t.Errorf("TLS 1.2 with %s: %v (suite %s)", tls.CipherSuiteName(suite), err, tls.CipherSuiteName(st.CipherSuite))
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		c := base.Clone()
		c.MaxVersion, c.ClientSessionCache = v, tls.NewLRUClientSessionCache(4)
		first, err := dial(addr, c)
		if err != nil {
			t.Fatal(err)
		}
		second, err := dial(addr, c)
		if err != nil {
			t.Fatal(err)
		}
		if first.DidResume || !second.DidResume || second.Version != v {
			t.Errorf("%s: resumed first=%v second=%v (version %s), want only the second resumed",
				tls.VersionName(v), first.DidResume, second.DidResume, tls.VersionName(second.Version))
		}
	}
}

func TestHygieneMinVersion13(t *testing.T) {
	res := loadWith(t, "1.3")
	addr, pool := serveTLS(t, res)
	c := &tls.Config{RootCAs: pool, ServerName: "mail.example.org", MaxVersion: tls.VersionTLS12}
	if _, err := dial(addr, c); err == nil {
		t.Error("TLS 1.2 accepted with min_version 1.3")
	}
	c.MaxVersion = 0
	if st, err := dial(addr, c); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("TLS 1.3: %v (version %x)", err, st.Version)
	}
	if _, err := Load(Options{DataDir: t.TempDir(), MinVersion: "1.1"}); err == nil || !strings.Contains(err.Error(), "min_version") {
		t.Errorf("min_version 1.1: err = %v, want it refused", err)
	}
}

// sClient runs openssl s_client against addr with args and returns its
// output and whether it succeeded.
func sClient(t *testing.T, addr string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("openssl", append([]string{"s_client", "-connect", addr, "-servername", "mail.example.org"}, args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil && !strings.Contains(string(out), "alert")
}

// The same, seen by OpenSSL's client.
func TestHygieneOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	res := loadWith(t, "")
	addr, _ := serveTLS(t, res)
	for _, bad := range [][]string{
		{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"},
		{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"},
		{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"},
		{"-tls1_2", "-cipher", "AES128-GCM-SHA256"},
	} {
		if out, ok := sClient(t, addr, bad...); ok {
			t.Errorf("openssl %v accepted:\n%s", bad, out)
		}
	}
	for _, good := range [][]string{
		{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"},
		{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"},
		{"-tls1_3"},
	} {
		if out, ok := sClient(t, addr, good...); !ok {
			t.Errorf("openssl %v refused:\n%s", good, out)
		}
	}
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		sess := filepath.Join(t.TempDir(), "sess.pem")
		if out, ok := sClient(t, addr, v, "-sess_out", sess); !ok || !strings.Contains(out, "New, TLS") {
			t.Fatalf("openssl %s first connection:\n%s", v, out)
		}
		if fi, err := os.Stat(sess); err != nil || fi.Size() == 0 {
			t.Fatalf("openssl %s saved no session: %v", v, err)
		}
		if out, _ := sClient(t, addr, v, "-sess_in", sess); !strings.Contains(out, "Reused, TLS") {
			t.Errorf("openssl %s second connection not resumed:\n%s", v, out)
		}
	}
}

// BenchmarkHandshake measures a full handshake against a resumed one
// (session tickets), per TLS version: what resumption saves a returning
// client (docs/benchmarks.md).
func BenchmarkHandshake(b *testing.B) {
	res, err := Load(Options{Hostname: "mail.example.org", DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	addr, pool := serveTLS(b, res)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, resume := range []bool{false, true} {
			name := tls.VersionName(v) + "/full"
			if resume {
				name = tls.VersionName(v) + "/resumed"
			}
			b.Run(name, func(b *testing.B) {
				cfg := &tls.Config{RootCAs: pool, ServerName: "mail.example.org", MaxVersion: v}
				if resume {
					cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
					if _, err := dial(addr, cfg); err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					st, err := dial(addr, cfg)
					if err != nil || st.DidResume != resume {
						b.Fatalf("resumed %v, want %v (%v)", st.DidResume, resume, err)
					}
				}
			})
		}
	}
}
