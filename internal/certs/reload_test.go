package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pairFiles returns a fresh self-signed pair for host as PEM.
func pairFiles(t *testing.T, host string) (cert, key []byte) {
	t.Helper()
	c, k, err := generate(host, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func writePair(t *testing.T, dir string, cert, key []byte) (string, string) {
	t.Helper()
	cp, kp := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for p, b := range map[string][]byte{cp: cert, kp: key} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cp, kp
}

func served(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	// No SNI, as a client dialling 127.0.0.1 sends.
	c, err := cfg.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil || c == nil {
		t.Fatalf("GetCertificate: %v, %v", c, err)
	}
	return c.Certificate[0]
}

// Issue 13: the configured certificate is replaced when its files change,
// and a broken new file keeps the old certificate.
func TestReloadOnChangeKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := pairFiles(t, "one.example")
	cp, kp := writePair(t, dir, c1, k1)
	res, err := Load(Options{CertFile: cp, KeyFile: kp, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	first := served(t, res.Config)
	if changed, err := res.Reloader.ReloadIfChanged(); changed || err != nil {
		t.Errorf("unchanged files: changed=%v err=%v", changed, err)
	}

	c2, k2 := pairFiles(t, "two.example")
	writePair(t, dir, c2, k2)
	future := time.Now().Add(time.Minute) // a new mtime even on a coarse clock
	os.Chtimes(cp, future, future)
	if changed, err := res.Reloader.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("replaced files: changed=%v err=%v", changed, err)
	}
	second := served(t, res.Config)
	if bytes.Equal(first, second) {
		t.Fatal("GetCertificate still returns the old certificate after the files changed")
	}

	if err := os.WriteFile(cp, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, err := res.Reloader.ReloadIfChanged(); !changed || err == nil {
		t.Errorf("broken file: changed=%v err=%v, want an error", changed, err)
	}
	if !bytes.Equal(served(t, res.Config), second) {
		t.Error("a broken certificate file replaced the working certificate")
	}
}

// Watch reloads on a hang-up signal and reports the outcome.
func TestWatchReloadsOnHUP(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := pairFiles(t, "one.example")
	cp, kp := writePair(t, dir, c1, k1)
	r, err := NewReloader(cp, kp)
	if err != nil {
		t.Fatal(err)
	}
	hup := make(chan struct{})
	reports := make(chan error, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Watch(ctx, time.Hour, hup, func(err error) { reports <- err })

	if err := os.WriteFile(kp, []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- struct{}{}
	select {
	case err := <-reports:
		if err == nil {
			t.Errorf("broken key on SIGHUP: report %v, want an error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report after SIGHUP")
	}
	if c, _ := r.GetCertificate(nil); c == nil || c.Leaf.Subject.CommonName != "one.example" {
		t.Fatal("a failed reload did not keep the old certificate")
	}
	c2, k2 := pairFiles(t, "two.example")
	writePair(t, dir, c2, k2)
	hup <- struct{}{}
	if err := <-reports; err != nil {
		t.Errorf("good files on SIGHUP: %v", err)
	}
	n, _ := r.GetCertificate(nil)
	if n.Leaf == nil || n.Leaf.Subject.CommonName != "two.example" {
		t.Errorf("after SIGHUP the certificate is %v, want two.example", n.Leaf.Subject)
	}
}
