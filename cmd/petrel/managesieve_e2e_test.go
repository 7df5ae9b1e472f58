package main

import (
	"crypto/tls"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/testkit"
)

// startManageSieve starts petrel serve with listen.managesieve on a free
// port, which it returns, and the account pop3User.
func startManageSieve(t *testing.T) (*e2eServer, string) {
	t.Helper()
	s := newE2EServer(t, buildPetrel(t), false)
	addr := testkit.FreeAddr(t)
	conf := strings.Replace(e2eConfig(s.dataDir, s.smtp, "", s.http), "[listen]\n", "[listen]\nmanagesieve = [\""+addr+"\"]\n", 1)
	if err := os.WriteFile(s.config, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cli("", "domain", "add", "example.org")
	s.addUsers(pop3User)
	s.start()
	return s, addr
}

// petrel serve with listen.managesieve: a client upgrades with STARTTLS,
// logs in with the account's password, stores and activates a script,
// and the CLI (the store delivery reads) sees it active; AUTHENTICATE
// before TLS is refused.
func TestServeManageSieve(t *testing.T) {
	s, addr := startManageSieve(t)
	c := testkit.Dial(t, addr)
	status := func() string {
		t.Helper()
		for {
			l := c.Line()
			if strings.HasPrefix(l, "OK") || strings.HasPrefix(l, "NO") || strings.HasPrefix(l, "BYE") {
				return l
			}
		}
	}
	if l := status(); !strings.HasPrefix(l, "OK") {
		t.Fatalf("greeting ends with %q", l)
	}
	auth := `AUTHENTICATE "PLAIN" "` + base64.StdEncoding.EncodeToString([]byte("\x00"+pop3User+"\x00"+pop3Password)) + `"` + "\r\n"
	c.Send(auth)
	if l := status(); !strings.HasPrefix(l, "NO (ENCRYPT-NEEDED)") {
		t.Fatalf("AUTHENTICATE before TLS: %q", l)
	}
	c.Send("STARTTLS\r\n")
	if l := status(); !strings.HasPrefix(l, "OK") {
		t.Fatalf("STARTTLS: %q", l)
	}
	tc := tls.Client(c.C, testkit.TrustCert(t, filepath.Join(certs.Dir(s.dataDir), certs.CertFile), "localhost"))
	c = testkit.Wrap(t, tc)
	if l := status(); !strings.HasPrefix(l, "OK") {
		t.Fatalf("capabilities after STARTTLS end with %q", l)
	}
	for _, cmd := range []string{auth, "PUTSCRIPT \"main\" {5+}\r\nkeep;\r\n", "SETACTIVE \"main\"\r\n"} {
		c.Send(cmd)
		if l := status(); !strings.HasPrefix(l, "OK") {
			t.Fatalf("%q: %q", cmd, l)
		}
	}
	if out := s.cli("", "sieve", "list", pop3User); !strings.Contains(out, "main  5 B  (active)") {
		t.Fatalf("petrel sieve list: %q, want main active", out)
	}
}
